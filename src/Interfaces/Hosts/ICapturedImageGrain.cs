namespace CimiGrains.Hosts;

/// <summary>
/// Which hosts hold a captured image, keyed by its image location (<c>docker:cimigrains/capture:{id}</c>).
/// Without a registry a capture exists only where it was committed; this record lets the deletion of its
/// MachineImage reach exactly those hosts.
/// </summary>
public interface ICapturedImageGrain : IGrainWithStringKey
{
    /// <summary>A capture into this location was sent to <paramref name="hostId"/> for a Machine of
    /// <paramref name="tenantId"/> (recorded before the host acts, so a capture whose answer is lost is known).</summary>
    Task HeldBy(string hostId, string tenantId);

    /// <summary>The MachineImage of <paramref name="tenantId"/> behind this location was deleted: every
    /// host holding the image is asked to remove it. Nothing happens for another tenant or an unknown image.</summary>
    Task Release(string tenantId);

    /// <summary>The hosts known to hold the image.</summary>
    Task<IReadOnlyList<string>> GetHosts();

    /// <summary>The tenant whose Machine was captured into this location, or null when no capture is
    /// recorded (never made, not yet sent, or released with its MachineImage).</summary>
    Task<string?> GetOwner();
}
