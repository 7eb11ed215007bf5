using System.Text.Json.Nodes;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// The XML rendering of CIMI documents. Not implemented yet (the XML binding issue): a request that
/// can only be answered in XML gets 406, and an XML body gets 415, each saying so.
/// </summary>
public static class CimiXml
{
    public const bool Supported = false;

    public static Task<JsonObject> ReadAsync(Stream body, string typeName, CancellationToken ct) =>
        throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType,
            $"XML request bodies are not supported yet; send the {typeName} as application/json.");

    public static Task WriteAsync(Stream output, JsonObject document, string rootName, bool isCollection, CancellationToken ct) =>
        throw new NotSupportedException("XML rendering is not implemented yet.");
}
