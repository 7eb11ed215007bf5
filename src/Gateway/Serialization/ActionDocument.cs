namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// The body POSTed to an action href (DSP0263 <c>Action</c>): the action URI and the parameters the
/// standard defines. Only its shape lives here, for the readers; each resource's API interprets it.
/// </summary>
public sealed record ActionDocument
{
    public string? Action { get; init; }
    public bool? Force { get; init; }
    public string? Image { get; init; }
    public string? Format { get; init; }
    public string? Destination { get; init; }
    public string? Source { get; init; }
    public IReadOnlyDictionary<string, string>? Properties { get; init; }
}
