using CimiGrains.Grains.Common;
using CimiGrains.Hosts;
using CimiGrains.Machines;

namespace CimiGrains.Grains.Machines;

/// <summary>What a Machine grain persists: what every hosted resource keeps (the Machine, its host,
/// the operation in flight) and what it resolved at creation.</summary>
[GenerateSerializer, Alias("cimi.state.Machine")]
public sealed class MachineGrainState : HostedResourceState<Machine, MachineStateName>
{
    /// <summary>The resolved template, secrets included; never rendered.</summary>
    [Id(0)] public MachineSpec? Spec { get; set; }

    /// <summary>The state a successful create ends in (the template's initialState, else STARTED).</summary>
    [Id(1)] public MachineStateName InitialState { get; set; }

    /// <summary>The host the Machine is placed on (a Machine has at most one).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? HostId => HostIds.Count > 0 ? HostIds[0] : null;
}
