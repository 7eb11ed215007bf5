using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using Microsoft.AspNetCore.WebUtilities;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// The error body (<c>status, error, message, requestId</c>) in the format the client accepts: XML
/// when it asked for XML over JSON, JSON otherwise (also when its Accept allows neither — an error
/// must still be readable). DSP0263 defines no error document, so the XML one is a CimiGrains
/// element, <c>&lt;Error xmlns="urn:cimigrains:cimi:extensions:1"&gt;</c>. Messages often quote what the
/// client sent, so they are made renderable (and bounded) here: an error answer never fails to render.
/// </summary>
public static class CimiErrorDocument
{
    public static async Task WriteAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        var body = new JsonObject
        {
            ["status"] = status,
            ["error"] = ReasonPhrases.GetReasonPhrase(status),
            ["message"] = CimiText.Printable(message, 2000),
            ["requestId"] = context.TraceIdentifier,
        };
        if (MediaTypes.Negotiate(context.Request.Headers.Accept) == MediaTypes.Xml)
        {
            response.ContentType = MediaTypes.Xml + "; charset=utf-8";
            await response.Body.WriteAsync(RenderXml(body), context.RequestAborted);
            return;
        }
        response.ContentType = MediaTypes.Json + "; charset=utf-8";
        await using var writer = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Encoder = CimiJson.Options.Encoder });
        body.WriteTo(writer);
    }

    public static byte[] RenderXml(JsonObject body)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
        {
            writer.WriteStartElement("Error", CimiNamespaces.Extensions);
            foreach (var (key, value) in body) writer.WriteElementString(key, CimiNamespaces.Extensions, CimiXmlWriter.Text(value));
            writer.WriteEndElement();
        }
        return buffer.ToArray();
    }
}
