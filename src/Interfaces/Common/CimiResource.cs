using System.Text.Json.Serialization;

namespace CimiGrains.Common;

/// <summary>
/// The common attributes every CIMI resource carries (DSP0263 "commonElements"), and the <c>href</c>
/// that lets any resource double as a reference with by-value attributes, as the DMTF schema's
/// <c>XxxRef</c> types do. Ids and hrefs are kept relative to the CloudEntryPoint's baseURI
/// (<c>machines/5d…</c>); the Gateway makes them absolute on the way out and relative on the way in,
/// so stored documents do not depend on the host name a client used.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.CimiResource")]
public abstract record CimiResource
{
    [Id(0)] public string? Href { get; init; }
    [Id(1)] public string? Id { get; init; }
    [Id(2)] public string? Name { get; init; }
    [Id(3)] public string? Description { get; init; }
    [Id(4)] public DateTimeOffset? Created { get; init; }
    [Id(5)] public DateTimeOffset? Updated { get; init; }
    [Id(6)] public IReadOnlyDictionary<string, string>? Properties { get; init; }

    /// <summary>What the caller may do now; computed by the owning grain from its state.</summary>
    [Id(7), JsonPropertyOrder(1000)] public IReadOnlyList<Operation>? Operations { get; init; }
}
