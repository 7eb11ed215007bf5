using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace CimiGrains.Tests.Binding;

/// <summary>
/// The DMTF CIMI schema (DSP8009 1.0.0) compiled for validating what the server emits. The schema
/// imports xml.xsd from w3.org; tests never touch the network, so <see cref="OfflineResolver"/> serves
/// an empty schema for that namespace (DSP8009 uses no xml:* attribute) and refuses everything else.
/// </summary>
public static class CimiSchema
{
    public const string Namespace = "http://schemas.dmtf.org/cimi/1";

    private static readonly Lazy<XmlSchemaSet> Set = new(Load);

    public static XmlSchemaSet Schemas => Set.Value;

    private static XmlSchemaSet Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Binding", "Schema", "DSP8009-1.0.0.xsd");
        var set = new XmlSchemaSet { XmlResolver = new OfflineResolver() };
        var errors = new List<string>();
        set.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity}: {e.Message}");
        var schema = XDocument.Load(path);
        RewriteEmptiableChoices(schema);
        using (var reader = schema.CreateReader())
            set.Add(Namespace, reader);
        set.Compile();
        if (errors.Any(e => e.StartsWith("Error", StringComparison.Ordinal)))
            throw new InvalidOperationException("DSP8009 did not compile:\n" + string.Join("\n", errors));
        return set;
    }

    /// <summary>
    /// DSP8009 writes every <c>XxxCollRef</c> as <c>choice(sequence(), sequence(id, count, …))</c>, so
    /// that a bare <c>&lt;machines href="…"/&gt;</c> is valid. .NET's validator rejects the empty branch
    /// ("incomplete content … expected: 'id'"), so the tests compile the equivalent
    /// <c>sequence(id, count, …)?</c> instead: the same set of documents, a form .NET handles.
    /// </summary>
    private static void RewriteEmptiableChoices(XDocument schema)
    {
        XNamespace xs = "http://www.w3.org/2001/XMLSchema";
        foreach (var choice in schema.Descendants(xs + "choice").ToList())
        {
            var branches = choice.Elements().ToList();
            if (branches.Count != 2 || branches[0].Name != xs + "sequence" || branches[0].HasElements || branches[1].Name != xs + "sequence") continue;
            var optional = new XElement(branches[1]);
            optional.SetAttributeValue("minOccurs", "0");
            choice.ReplaceWith(optional);
        }
    }

    /// <summary>Every validation error and warning of <paramref name="xml"/>; empty when it is valid.</summary>
    public static IReadOnlyList<string> Validate(string xml)
    {
        var problems = new List<string>();
        var settings = new XmlReaderSettings
        {
            ValidationType = ValidationType.Schema,
            Schemas = Schemas,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings | XmlSchemaValidationFlags.ProcessIdentityConstraints,
        };
        settings.ValidationEventHandler += (_, e) =>
        {
            // Lax wildcards (xs:any processContents="lax") legitimately skip undeclared elements; only report real problems.
            if (e.Severity == XmlSeverityType.Warning && e.Message.Contains("Could not find schema information", StringComparison.Ordinal)) return;
            problems.Add($"{e.Severity} at {e.Exception?.LineNumber}:{e.Exception?.LinePosition}: {e.Message}");
        };
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        while (reader.Read())
        {
        }
        return problems;
    }

    /// <summary>Asserts the document is valid against DSP8009 and that its root is declared there (not skipped).</summary>
    public static void AssertValid(string xml)
    {
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal(Namespace, root.Name.NamespaceName);
        Assert.True(Schemas.GlobalElements.Contains(new XmlQualifiedName(root.Name.LocalName, Namespace)),
            $"<{root.Name.LocalName}> is not a global element of DSP8009, so nothing would be validated:\n{xml}");
        var problems = Validate(xml);
        Assert.True(problems.Count == 0, $"Not valid against DSP8009:\n{string.Join("\n", problems)}\n{xml}");
    }

    /// <summary>Resolves only the xml namespace schema, locally; any other URI is refused.</summary>
    private sealed class OfflineResolver : XmlResolver
    {
        private const string XmlNamespaceSchema =
            """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace"/>""";

        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            if (absoluteUri.AbsoluteUri == "http://www.w3.org/2001/xml.xsd")
                return new MemoryStream(System.Text.Encoding.UTF8.GetBytes(XmlNamespaceSchema));
            throw new InvalidOperationException($"Tests do not fetch {absoluteUri}: the schema must be resolved offline.");
        }
    }
}
