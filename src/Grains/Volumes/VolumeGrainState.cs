using CimiGrains.Grains.Common;
using CimiGrains.Hosts;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Volumes;

/// <summary>What a Volume grain persists: what every hosted resource keeps (the Volume, its host, the
/// operation in flight), what its host makes (resolved at creation), and where it is attached.</summary>
[GenerateSerializer, Alias("cimi.state.Volume")]
public sealed class VolumeGrainState : HostedResourceState<Volume, VolumeStateName>
{
    /// <summary>The resolved template: capacity, format and initial content, as the host makes it.</summary>
    [Id(0)] public VolumeSpec? Spec { get; set; }

    /// <summary>The Machines the Volume is attached to or being attached to, by Machine key. Replaced, never
    /// changed in place: a failed write restores the previous state by a shallow copy.</summary>
    [Id(1)] public IReadOnlyDictionary<string, VolumeReservation> Attachments { get; set; } = new Dictionary<string, VolumeReservation>();

    /// <summary>The local ids of the VolumeImages of the Volume's <c>images</c> collection (the one it was made from,
    /// then its captures), in order. Replaced, never changed in place.</summary>
    [Id(2)] public IReadOnlyList<string> Images { get; set; } = [];

    /// <summary>The host the Volume's pool is on (a Volume has at most one).</summary>
    public string? HostId => HostIds.Count > 0 ? HostIds[0] : null;
}

/// <summary>
/// One Machine's attachment of the Volume: how the Machine uses it (its driver, its host when it had one,
/// read-only or not), whether its host has made it (<see cref="Confirmed"/>), and the answer
/// <see cref="IVolumeGrain.Reserve"/> gave, which a repeated reservation returns unchanged.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.VolumeReservation")]
public sealed record VolumeReservation(
    [property: Id(0)] string Driver,
    [property: Id(1)] string? MachineHostId,
    [property: Id(2)] bool ReadOnly,
    [property: Id(3)] bool Confirmed,
    [property: Id(4)] VolumeAttachment Answer,
    [property: Id(5)] DateTimeOffset Reserved);
