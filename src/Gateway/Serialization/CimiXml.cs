using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using System.Xml;
using System.Xml.Linq;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// The XML rendering of CIMI documents (DSP0263 1.x, namespace <c>http://schemas.dmtf.org/cimi/1</c>):
/// safe parsing of request bodies and buffered writing of responses.
/// </summary>
public static partial class CimiXml
{
    /// <summary>Larger than any CIMI document; stops entity-free but huge bodies before they cost memory.</summary>
    private const long MaxCharacters = 4 * 1024 * 1024;

    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        // No DTDs and no resolver: no entity expansion, no external fetches (XXE).
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        // Character references to what XML forbids (&#x1;, &#xFFFF;, lone surrogates) are errors, so
        // every string read satisfies CimiText's rule.
        CheckCharacters = true,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = MaxCharacters,
    };

    private static readonly XmlWriterSettings WriterSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = false,
        OmitXmlDeclaration = false,
        NamespaceHandling = NamespaceHandling.OmitDuplicates,
    };

    [GeneratedRegex("""^\s*<\?xml[^>]*\sencoding\s*=\s*["']([^"']*)["']""", RegexOptions.CultureInvariant)]
    private static partial Regex EncodingDeclaration();

    /// <summary>
    /// Parses a buffered XML body. A forward-only pass first checks the depth limit and that the body is
    /// well-formed, naming the element where it is not; only then is the (now bounded) tree built and
    /// mapped, so nothing recursive ever sees a hostile depth.
    /// </summary>
    public static JsonObject Read(byte[] body, string typeName)
    {
        var descriptor = CimiDescriptors.ByTypeName(typeName)
            ?? throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType, $"A {typeName} body must be application/json.");
        return CimiXmlReader.Read(Load(body).Root!, descriptor);
    }

    /// <summary>
    /// A buffered XML body as a tree, under the same rules as every CIMI request (no DTDs, bounded size and
    /// depth, well-formed, UTF-8): for documents that are not CIMI's own, such as an OVF envelope.
    /// </summary>
    public static XDocument Load(byte[] body)
    {
        CheckStructure(body);
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body, writable: false), ReaderSettings);
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw NotWellFormed(e, "");
        }
    }

    /// <summary>Parses XML text (tests and tools); same rules as request bodies.</summary>
    public static JsonObject Read(string xml, string typeName) => Read(Encoding.UTF8.GetBytes(xml), typeName);

    private static void CheckStructure(byte[] body)
    {
        var path = new List<string>();
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body, writable: false), ReaderSettings);
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (reader.Depth + 1 > CimiDocumentLimits.MaxDepth) throw CimiDocumentLimits.TooDeep();
                        if (!reader.IsEmptyElement) path.Add(reader.LocalName);
                        break;
                    case XmlNodeType.EndElement:
                        path.RemoveAt(path.Count - 1);
                        break;
                }
            }
        }
        catch (XmlException e)
        {
            var where = path.Count > 0 ? $" in <{CimiText.Printable(string.Join('/', path), 200)}>" : "";
            if (!Utf8.IsValid(body) && DeclaresUtf8(body))
                throw CimiRequestException.BadRequest($"The body is not valid UTF-8{where} (line {e.LineNumber}, position {e.LinePosition}).");
            throw NotWellFormed(e, where);
        }
    }

    /// <summary>Whether the body is meant as UTF-8: no UTF-16 byte order mark and no other encoding declared.</summary>
    private static bool DeclaresUtf8(byte[] body)
    {
        if (body.Length >= 2 && (body[0], body[1]) is (0xFF, 0xFE) or (0xFE, 0xFF)) return false;
        var head = Encoding.ASCII.GetString(body, 0, Math.Min(body.Length, 200));
        var declared = EncodingDeclaration().Match(head);
        return !declared.Success || declared.Groups[1].Value.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    // XmlException messages quote the offending character itself; Printable keeps the answer renderable.
    private static CimiRequestException NotWellFormed(XmlException e, string where) =>
        CimiRequestException.BadRequest(
            $"The body is not well-formed XML{where} (line {e.LineNumber}, position {e.LinePosition}): {CimiText.Printable(e.Message, 300)}");

    /// <summary>
    /// The XML text of a document: a Collection when its resourceURI names one (<c>…XxxCollection</c>),
    /// otherwise the resource typed by <paramref name="descriptor"/>.
    /// </summary>
    public static byte[] Render(JsonObject document, CimiDescriptor descriptor, bool isCollection)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, WriterSettings))
        {
            if (isCollection) CimiXmlWriter.WriteCollection(writer, document, descriptor);
            else CimiXmlWriter.WriteDocument(writer, document, descriptor);
        }
        return buffer.ToArray();
    }

    public static string RenderText(JsonObject document, CimiDescriptor descriptor, bool isCollection) =>
        Encoding.UTF8.GetString(Render(document, descriptor, isCollection));
}
