namespace CimiGrains.Networks;

/// <summary>How to make a Network: its configuration (required; by reference, by value, or by reference with
/// overrides), the ForwardingGroup it joins (optional), and the state it starts in (<see cref="InitialState"/>,
/// DSP0263 1.1's attribute, an extension of DSP8009 1.0.0: STARTED, the default, or STOPPED).</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkTemplate")]
public sealed record NetworkTemplate : CimiResource
{
    [Id(0)] public NetworkConfiguration? NetworkConfig { get; init; }
    [Id(1)] public ResourceRef? ForwardingGroup { get; init; }
    [Id(2)] public string? InitialState { get; init; }
}
