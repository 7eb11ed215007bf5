using CimiGrains.Grains.Machines;
using CimiGrains.Grains.Volumes;
using CimiGrains.Hosts;
using CimiGrains.Machines;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// One kind of resource a host realizes, as the silo's host-side machinery needs it (the grain that takes
/// the host's reports is <see cref="HostedGrains"/>, in the contracts): the read-model type and the states in which an operation is in flight
/// (the silo-start recovery sweep wakes the resources found in them), and how to wake one.
/// </summary>
public sealed record HostedKindInfo(
    HostedKind Kind,
    ResourceKind Resource,
    IReadOnlyList<string> TransitionalStates,
    Func<IGrainFactory, string, Task> Wake);

/// <summary>Every hosted kind. A new one (Volume, Network) adds its line here, in <see cref="HostedGrains"/>,
/// and its grain.</summary>
public static class HostedKinds
{
    public static readonly HostedKindInfo Machine = new(
        HostedKind.Machine,
        ResourceKind.Machine,
        [.. Enum.GetValues<MachineStateName>().Where(MachineTransitions.IsTransitional).Select(s => s.ToString())],
        // Any call activates the grain, and activation resumes its pending operation.
        (grains, key) => grains.GetGrain<IMachineGrain>(key).Get());

    public static readonly HostedKindInfo Volume = new(
        HostedKind.Volume,
        VolumeRegistration.Type.Kind,
        [.. Enum.GetValues<VolumeStateName>().Where(VolumeTransitions.IsTransitional).Select(s => s.ToString())],
        (grains, key) => grains.GetGrain<IVolumeGrain>(key).Get());

    public static IReadOnlyList<HostedKindInfo> All { get; } = [Machine, Volume];

    public static HostedKindInfo Of(HostedKind kind) =>
        All.FirstOrDefault(k => k.Kind == kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a hosted kind.");
}
