using System.Text.Json.Serialization;
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

    /// <summary>The Volumes attached to the Machine or on their way (docs/VOLUMES.md). Replaced, never
    /// changed in place: a failed write puts the previous state back by a shallow copy.</summary>
    [Id(2)] public IReadOnlyList<MachineAttachment> Volumes { get; set; } = [];

    /// <summary>The Volumes the create makes from the template's <c>volumeTemplates</c>, in order; each moves
    /// to <see cref="Volumes"/> once it is AVAILABLE and reserved. Replaced, never changed in place.</summary>
    [Id(3)] public IReadOnlyList<MachineNewVolume> NewVolumes { get; set; } = [];

    /// <summary>The Machine's interfaces on Networks (docs/NETWORKS.md "Machines on Networks"). Replaced, never
    /// changed in place.</summary>
    [Id(4)] public IReadOnlyList<MachineInterface> NetworkInterfaces { get; set; } = [];

    /// <summary>The System the Machine is a member of (made by it, or added to it), told of every change of state.</summary>
    [Id(5)] public CimiGrains.Systems.SystemMembership? System { get; set; }

    /// <summary>The host the Machine is placed on (a Machine has at most one). Settable only so that a
    /// state stored before the hosted-resource base (which kept <c>HostId</c> alone) reads back.</summary>
    public string? HostId
    {
        get => HostIds.Count > 0 ? HostIds[0] : null;
        set
        {
            if (value is not null && HostIds.Count == 0) HostIds = new List<string> { value };
        }
    }

    /// <summary>Reads the Machine of a state stored before the hosted-resource base (it was named
    /// <c>Machine</c>, now <c>Resource</c>); never written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Machine? Machine
    {
        get => null;
        set => Resource ??= value;
    }

    /// <summary>Reads the one agent session a state stored before the hosted-resource base kept (now one
    /// per host); never written. That state wrote <c>HostId</c> before it, so the host is known here.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? HostSession
    {
        get => null;
        set
        {
            if (value is not null && HostId is { } host && HostSessions is null)
                HostSessions = new Dictionary<string, string> { [host] = value };
        }
    }
}
