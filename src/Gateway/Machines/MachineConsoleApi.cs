using System.Globalization;
using System.Text;
using CimiGrains.Machines;
using Microsoft.Net.Http.Headers;

namespace CimiGrains.Gateway.Machines;

/// <summary>
/// The console extension: <c>GET /cimi/machines/{id}/console[?maxBytes=N]</c> answers <c>text/plain</c>
/// (UTF-8) with the tail of the Machine's console, read from its host's agent (docs/CONSOLE.md). The
/// Machine is the caller's tenant's like every Machine route (another tenant's id is 404); the answer is
/// not a CIMI document, so it is mapped beside the CIMI group rather than in it (whose filter allows only
/// JSON and XML), with the same authentication. Errors are CIMI error documents as everywhere.
/// </summary>
public static class MachineConsoleApi
{
    public const string TextPlain = "text/plain";

    public static IEndpointRouteBuilder MapMachineConsoleApi(this IEndpointRouteBuilder app)
    {
        app.MapGet($"/cimi/{ResourceKind.Machine.CollectionSegment}/{{id}}/{MachineConsole.Segment}", async (string id, CimiRequest request) =>
        {
            var http = request.Http;
            var maxBytes = MaxBytes(http.Query);
            if (!AcceptsText(http.Headers.Accept))
                return Results.Extensions.Error(StatusCodes.Status406NotAcceptable,
                    $"The Accept header '{http.Headers.Accept}' does not allow {TextPlain}, the only representation of a console.");
            var text = await request.Grain<IMachineGrain>(id).ReadConsole(maxBytes);
            // Never cached: the console moves on with every line the Machine writes.
            http.HttpContext.Response.Headers.CacheControl = "no-store";
            return Results.Text(text, TextPlain + "; charset=utf-8", new UTF8Encoding(false), StatusCodes.Status200OK);
        }).RequireAuthorization();
        return app;
    }

    /// <summary>The <c>maxBytes</c> parameter: absent is the default, anything but one whole number from 1
    /// to the bound is a 400 that names it.</summary>
    public static int MaxBytes(IQueryCollection query)
    {
        if (!query.TryGetValue(MachineConsole.MaxBytesParameter, out var values) || values.Count == 0) return MachineConsole.DefaultMaxBytes;
        var bounds = $"a whole number of bytes from 1 to {MachineConsole.MaxMaxBytes.ToString(CultureInfo.InvariantCulture)}";
        if (values.Count > 1)
            throw CimiRequestException.BadRequest($"'{MachineConsole.MaxBytesParameter}' is given {values.Count} times; give it once, as {bounds}.");
        var text = values[0] ?? "";
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 1 or > MachineConsole.MaxMaxBytes)
            throw CimiRequestException.BadRequest($"'{MachineConsole.MaxBytesParameter}={CimiText.Printable(text, 40)}' is not {bounds}.");
        return value;
    }

    /// <summary>Whether an Accept header allows text/plain: no header, or a range covering it with a quality above 0.</summary>
    public static bool AcceptsText(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept)) return true;
        if (!MediaTypeHeaderValue.TryParseList([accept], out var ranges) || ranges.Count == 0) return true;
        return ranges.Any(r => (r.Quality ?? 1.0) > 0 && r.MediaType.Value is { } type
            && (type == "*/*" || string.Equals(type, "text/*", StringComparison.OrdinalIgnoreCase)
                || string.Equals(type, TextPlain, StringComparison.OrdinalIgnoreCase)));
    }
}
