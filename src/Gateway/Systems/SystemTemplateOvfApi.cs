using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using CimiGrains.Gateway.Resources;
using CimiGrains.Gateway.Systems.Ovf;
using CimiGrains.Systems;
using Microsoft.Net.Http.Headers;

namespace CimiGrains.Gateway.Systems;

/// <summary>
/// SystemTemplates' collection POST and their OVF export and import (DSP0263 export/import, DSP0243 envelopes;
/// docs/SYSTEMS.md "Export and import (OVF)"). The collection POST takes a SystemTemplate (201), an Action
/// <c>…/action/import</c> whose <c>source</c> is one of this cloud's own export URLs, or, as an extension, an
/// envelope itself (Content-Type <c>application/ovf+xml</c>). An export is an Action <c>…/action/export</c> on the
/// template, answered 200 with the envelope's URL in <c>Location</c>; a GET of that URL builds the envelope from the
/// template as it is then. Nothing is ever fetched from or sent to another address.
/// </summary>
public static partial class SystemTemplateOvfApi
{
    public static RouteGroupBuilder MapSystemTemplateOvfApi(this RouteGroupBuilder cimi)
    {
        var type = CimiTypes.Of(SystemTemplateRegistration.Type);
        var collection = $"/{type.Kind.CollectionSegment}";
        cimi.MapPost(collection, async (CimiRequest request) =>
        {
            var template = await ReadCreateAsync(request);
            var created = await request.Grain<ISystemTemplateGrain>(CimiRequest.NewLocalId()).Create(template);
            return request.Created(created, type);
        });
        cimi.MapPost(collection + "/{id}", async (string id, CimiRequest request) =>
        {
            CheckExport(await ReadActionAsync(request, SystemTemplateRegistration.Export));
            // The template must be the caller's now; the envelope itself is built when it is read.
            var template = await request.Grain<ISystemTemplateGrain>(id).Get();
            request.Http.HttpContext.Response.Headers.Location = request.BaseUri.Absolute(EnvelopeOf(template.Id!));
            return Results.Ok();
        });
        return cimi;
    }

    /// <summary>GET of an export's URL, a SystemTemplate's or a System's: mapped beside the CIMI group, whose filter would
    /// refuse an Accept of the OVF media type.</summary>
    public static IEndpointRouteBuilder MapSystemTemplateEnvelopes(this IEndpointRouteBuilder app)
    {
        MapEnvelope(app, SystemTemplateRegistration.Type.Kind.CollectionSegment, EnvelopeAsync);
        MapEnvelope(app, SystemRegistration.Type.Kind.CollectionSegment, async (request, id) =>
            OvfEnvelopeWriter.Write(await request.Grain<ISystemGrain>(id).GetShape(), request.BaseUri));
        return app;
    }

    private static void MapEnvelope(IEndpointRouteBuilder app, string segment, Func<CimiRequest, string, Task<System.Xml.Linq.XDocument>> envelopeOf) =>
        app.MapGet($"/cimi/{segment}/{{id}}/{SystemTemplateRegistration.EnvelopeSegment}", async (string id, CimiRequest request) =>
        {
            var accept = request.Http.Headers.Accept.ToString();
            if (accept.Length > 0 && !Accepts(accept))
                return Results.Extensions.Error(StatusCodes.Status406NotAcceptable,
                    $"The Accept header '{CimiText.Printable(accept, 200)}' does not allow {OvfNames.MediaType}, the only representation of an export.");
            var envelope = await envelopeOf(request, id);
            request.Http.HttpContext.Response.Headers.CacheControl = "no-store";
            return Results.Bytes(Render(envelope), OvfNames.MediaType + "; charset=utf-8");
        }).RequireAuthorization();

    /// <summary>An export Action's parameters: the OVF format (the default) and no destination.</summary>
    public static void CheckExport(JsonObject action)
    {
        if (action["format"] is { } format && !(format is JsonValue v && v.TryGetValue<string>(out var f) && IsOvf(f)))
            throw CimiRequestException.BadRequest($"'format' is {format.ToJsonString()}; this cloud exports as {OvfNames.Format} only.");
        if (action.ContainsKey("destination"))
            throw CimiRequestException.BadRequest("'destination' is not supported: only the Location form of export is (this cloud never sends " +
                "data to other addresses). Leave it out and GET the URL the answer's Location gives.");
        foreach (var key in action.Select(p => p.Key))
        {
            if (key is not ("action" or "properties" or "resourceURI" or "format"))
                throw CimiRequestException.BadRequest($"'{key}' is not a parameter of the 'export' action.");
        }
    }

    /// <summary>The export URL of template <paramref name="templateId"/> (relative, <c>systemTemplates/{id}/ovf</c>).</summary>
    public static string EnvelopeOf(string templateId) => $"{templateId}/{SystemTemplateRegistration.EnvelopeSegment}";

    private static async Task<SystemTemplate> ReadCreateAsync(CimiRequest request)
    {
        var http = request.Http;
        if (MediaTypeHeaderValue.TryParse(http.ContentType, out var contentType)
            && string.Equals(contentType.MediaType.Value, OvfNames.MediaType, StringComparison.OrdinalIgnoreCase))
            return OvfEnvelopeReader.Read(await CimiRequestReader.ReadBodyAsync(http), request.BaseUri);

        // A SystemTemplate or an import Action: XML says which by its root element, JSON by the action attribute.
        http.EnableBuffering();
        var isAction = MediaTypes.OfContentType(http.ContentType) == MediaTypes.Xml
            ? RootElement(await CimiRequestReader.ReadBodyAsync(http)) == "Action"
            : (await CimiRequestReader.ReadDocumentAsync(http, "SystemTemplate")).ContainsKey("action");
        http.Body.Position = 0;
        if (!isAction) return await ResourceCollectionApi.ReadCreateAsync<SystemTemplate>(request, "SystemTemplate");

        var action = await ReadActionAsync(request, SystemTemplateRegistration.Import);
        var source = action["source"] is JsonValue s && s.TryGetValue<string>(out var text) ? text
            : throw CimiRequestException.BadRequest("An import needs a 'source': the URL of an export of this cloud (…/systemTemplates/{id}/ovf).");
        // Any host name of this cloud is taken, as for every href (BaseUri.Relative); only its own exports are read.
        var match = request.BaseUri.Relative(source) is { } relative ? ExportUrl().Match(relative) : Match.Empty;
        if (!match.Success)
            throw CimiRequestException.BadRequest($"'source' is '{CimiText.Printable(source, 200)}'; this cloud imports only its own exports " +
                "(…/systemTemplates/{id}/ovf, …/systems/{id}/ovf) and fetches nothing from other addresses. POST an envelope from elsewhere as the body, with " +
                $"Content-Type {OvfNames.MediaType}.");
        // The same path as an envelope POSTed as the body: what an export says is all an import knows.
        var envelope = match.Groups[1].Value == SystemRegistration.Type.Kind.CollectionSegment
            ? OvfEnvelopeWriter.Write(await request.Grain<ISystemGrain>(match.Groups[2].Value).GetShape(), request.BaseUri)
            : await EnvelopeAsync(request, match.Groups[2].Value);
        return OvfEnvelopeReader.Read(Render(envelope), request.BaseUri);
    }

    private static async Task<System.Xml.Linq.XDocument> EnvelopeAsync(CimiRequest request, string localId)
    {
        // By value, passwords included, so the writer knows which to ask for; it never writes their values.
        var byValue = await request.Grain<ISystemTemplateGrain>(localId).GetByValue();
        return OvfEnvelopeWriter.Write(byValue, request.BaseUri);
    }

    private static byte[] Render(System.Xml.Linq.XDocument envelope)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
            envelope.Save(writer);
        return buffer.ToArray();
    }

    /// <summary>The Action body, checked to be <paramref name="expected"/> with only its own parameters.</summary>
    private static async Task<JsonObject> ReadActionAsync(CimiRequest request, CimiActionDeclaration expected)
    {
        var body = await CimiRequestReader.ReadDocumentAsync(request.Http, "Action");
        body.Remove("resourceURI");
        var uri = body["action"] is JsonValue v && v.TryGetValue<string>(out var a) ? a : null;
        if (uri != expected.Uri)
            throw CimiRequestException.BadRequest($"'{CimiText.Printable(uri ?? "", 200)}' is not an action here; use {expected.Uri}.");
        var parameters = expected == SystemTemplateRegistration.Export ? new[] { "format", "destination" } : ["source"];
        foreach (var key in body.Select(p => p.Key))
        {
            if (key is not ("action" or "properties") && !parameters.Contains(key))
                throw CimiRequestException.BadRequest($"'{key}' is not a parameter of the '{expected.Name}' action.");
        }
        return body;
    }

    private static string? RootElement(byte[] body)
    {
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body, writable: false),
                new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return reader.MoveToContent() == XmlNodeType.Element ? reader.LocalName : null;
        }
        catch (XmlException)
        {
            // The body is read again as a SystemTemplate, whose reader says what is wrong with it.
            return null;
        }
    }

    private static bool IsOvf(string format) =>
        format.Trim() is var f && (f.Equals(OvfNames.Format, StringComparison.OrdinalIgnoreCase) || f.Equals(OvfNames.MediaType, StringComparison.OrdinalIgnoreCase));

    private static bool Accepts(string accept) =>
        MediaTypeHeaderValue.TryParseList([accept], out var ranges)
        && ranges.Any(r => (r.Quality ?? 1) > 0 && r.MediaType.Value is "*/*" or "application/*" or OvfNames.MediaType or "application/xml");

    [GeneratedRegex("^(systemTemplates|systems)/([A-Za-z0-9_-]{1,64})/ovf$", RegexOptions.CultureInvariant)]
    private static partial Regex ExportUrl();
}
