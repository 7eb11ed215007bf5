using System.Text.Json.Nodes;
using System.Xml;
using CimiGrains.Hosts;
using CimiGrains.Machines;

namespace CimiGrains.Gateway.Agents;

/// <summary>
/// DSP0263 capture: a MachineImage POSTed with an <c>imageLocation</c> that is a Machine's id (absolute
/// or relative) asks that Machine's host to capture it. A docker image that happens to be named
/// <c>machines/x</c> is registered as <c>docker:machines/x</c> instead.
/// </summary>
public static class MachineCaptureApi
{
    public const string CreateTypeName = "MachineImageCreate";

    /// <summary>
    /// The body of a POST to the MachineImage collection, in every shape clients send: a
    /// <c>MachineImage</c> or a <c>MachineImageCreate</c> (XML root or JSON resourceURI), with
    /// <c>imageLocation</c> as text or as an href (<c>{"href": …}</c>, <c>&lt;imageLocation href="…"/&gt;</c>).
    /// </summary>
    public static async Task<MachineImage> ReadCreateAsync(CimiRequest request)
    {
        var typeName = await IsXmlCreateAsync(request.Http) ? CreateTypeName : CimiTypes.MachineImage.TypeName;
        var body = await CimiRequestReader.ReadDocumentAsync(request.Http, typeName);
        // An href here names an image or a Machine, not necessarily a resource of this cloud, so it is
        // taken as the location's text before hrefs are checked (as the rest of the body's are).
        if (body["imageLocation"] is JsonObject { Count: 1 } location
            && location["href"] is JsonValue href && href.TryGetValue<string>(out var text))
        {
            body["imageLocation"] = text;
        }
        return CimiRequestReader.Bind<MachineImage>(body, request.BaseUri, CreateReadOnly, typeName);
    }

    /// <summary>
    /// What a consumer may not write when registering or capturing an image: the common read-only
    /// attributes and the image's state, which the provider alone sets (AVAILABLE once registered,
    /// CREATING while a capture runs). relatedImage stays writable here: a capture may name it.
    /// </summary>
    private static readonly IReadOnlySet<string> CreateReadOnly =
        new HashSet<string>(CimiTypes.CommonReadOnly.Append("state"), StringComparer.Ordinal);

    /// <summary>202 with the capture's Job, or null when <paramref name="document"/> is a plain registration.</summary>
    public static async Task<CimiResult?> TryCaptureAsync(CimiRequest request, MachineImage document)
    {
        if (document.ImageLocation is not { } location) return null;
        var machineLocalId = ResourceKind.Machine.LocalIdOf(request.BaseUri.Relative(location));
        if (machineLocalId is null) return null;
        var machine = request.Grain<IHostedMachineGrain>(machineLocalId);
        var result = await machine.Capture(document, CimiRequest.NewLocalId(), CimiRequest.NewLocalId());
        return request.Accepted(result.Image, result.Job);
    }

    /// <summary>
    /// Whether an XML body's root element is <c>MachineImageCreate</c>. Only the root is read (no DTD,
    /// no resolver), then the body is rewound for the reader proper, which checks everything else.
    /// </summary>
    private static async Task<bool> IsXmlCreateAsync(HttpRequest http)
    {
        if (MediaTypes.OfContentType(http.ContentType) != MediaTypes.Xml) return false;
        http.EnableBuffering();
        try
        {
            using var reader = XmlReader.Create(http.Body, new XmlReaderSettings
            {
                Async = true, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, CloseInput = false,
                IgnoreComments = true, IgnoreProcessingInstructions = true,
            });
            return await reader.MoveToContentAsync() == XmlNodeType.Element
                && string.Equals(reader.LocalName, CreateTypeName, StringComparison.OrdinalIgnoreCase);
        }
        catch (XmlException)
        {
            // Not well-formed: the reader proper says where.
            return false;
        }
        finally
        {
            http.Body.Position = 0;
        }
    }
}
