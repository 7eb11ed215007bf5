namespace CimiGrains.Hosts;

/// <summary>The grain that realizes a hosted resource, by kind: where a host's reports about it go.</summary>
public static class HostedGrains
{
    /// <summary>The <see cref="IHostedResourceGrain"/> of the resource <paramref name="key"/> of <paramref name="kind"/>.
    /// A new hosted kind adds its line (its grain interface extends <see cref="IHostedResourceGrain"/>).</summary>
    public static IHostedResourceGrain Of(IGrainFactory grains, HostedKind kind, string key) => kind switch
    {
        HostedKind.Machine => grains.GetGrain<IHostedMachineGrain>(key),
        HostedKind.Volume => grains.GetGrain<Volumes.IVolumeGrain>(key),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a hosted kind."),
    };
}
