using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// The XML rendering of CIMI documents (DSP0263 1.x, namespace <c>http://schemas.dmtf.org/cimi/1</c>):
/// safe parsing of request bodies and buffered writing of responses.
/// </summary>
public static class CimiXml
{
    /// <summary>Larger than any CIMI document; stops entity-free but huge bodies before they cost memory.</summary>
    private const long MaxCharacters = 4 * 1024 * 1024;

    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        Async = true,
        // No DTDs and no resolver: no entity expansion, no external fetches (XXE).
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
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

    /// <summary>Parses an XML body holding a <paramref name="typeName"/> into a JSON document.</summary>
    public static async Task<JsonObject> ReadAsync(Stream body, string typeName, CancellationToken ct)
    {
        var descriptor = CimiDescriptors.ByTypeName(typeName)
            ?? throw new InvalidOperationException($"No descriptor for request type {typeName}.");
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(body, ReaderSettings);
            document = await XDocument.LoadAsync(reader, LoadOptions.SetLineInfo, ct);
        }
        catch (XmlException e)
        {
            throw CimiRequestException.BadRequest($"The body is not well-formed XML (line {e.LineNumber}, position {e.LinePosition}): {e.Message}");
        }
        return CimiXmlReader.Read(document.Root!, descriptor);
    }

    /// <summary>Parses XML text (tests and tools); same rules as request bodies.</summary>
    public static JsonObject Read(string xml, string typeName)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(xml));
        return ReadAsync(stream, typeName, CancellationToken.None).GetAwaiter().GetResult();
    }

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
