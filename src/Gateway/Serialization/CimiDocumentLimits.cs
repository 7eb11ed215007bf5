namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Bounds every request document is read within, whatever its format: enforced while reading, before
/// anything recursive (binding, href normalization, XML mapping) walks the document.
/// </summary>
public static class CimiDocumentLimits
{
    /// <summary>
    /// Deepest nesting of a request document (objects and arrays in JSON, elements in XML, the document
    /// itself counting as one). CIMI documents nest a handful of levels (MachineCreate → machineTemplate →
    /// machineConfig → disks → disk is five), so this is generous and still far from any stack limit.
    /// </summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// Largest body this reader buffers, whatever the server's own limit (Kestrel's
    /// <c>MaxRequestBodySize</c>, normally lower, answers 413 first).
    /// </summary>
    public const int MaxBodyBytes = 8 * 1024 * 1024;

    public static CimiRequestException TooDeep() =>
        CimiRequestException.BadRequest($"The body nests deeper than {MaxDepth} levels; CIMI documents need only a few.");

    public static CimiRequestException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, "The request body is larger than this cloud accepts.");
}
