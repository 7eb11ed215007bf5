using CimiGrains.Grains.Common;
using CimiGrains.Hosts;
using CimiGrains.Machines;
using CimiGrains.Networks;
using Microsoft.Extensions.Logging;
using static CimiGrains.Grains.Machines.MachineInterfaceStatus;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// How the Machine's interfaces end: what an attach, a detach, a create or a delete leaves to be told to the
/// Networks (every call here is idempotent, so a repeat after a crash is harmless), the leases nothing carries
/// on after a crash, and what the host is sent for them.
/// </summary>
public sealed partial class MachineGrain
{
    /// <summary>
    /// Tells the Networks how an operation ended. Returns the resources the Job affected besides the Machine, or null
    /// when the operation touched no interface.
    /// </summary>
    private async Task<IReadOnlyList<ResourceRef>?> OnInterfacesOperationEndedAsync(PendingOperation<MachineStateName> ended)
    {
        var succeeded = ended.Outcome is { Succeeded: true };
        switch (ended.Command)
        {
            case HostCommandKind.AttachNetworkInterface when ended.Parameter(InterfaceParameter) is { } attached:
                if (FindInterface(attached) is not { } entry) return null;
                if (succeeded)
                {
                    if (entry.Status != Attached) await CommitAsync(s => s.NetworkInterfaces = WithInterface(s.NetworkInterfaces, entry with { Status = Attached }));
                    return [Self, new ResourceRef(NetworkHref(entry.NetworkLocalId))];
                }
                await ReleaseInterfaceAsync(attached);
                return null;
            case HostCommandKind.DetachNetworkInterface when ended.Parameter(InterfaceParameter) is { } detached:
                if (FindInterface(detached) is not { } detaching) return null;
                if (succeeded)
                {
                    await ReleaseInterfaceAsync(detached);
                    return [Self, new ResourceRef(NetworkHref(detaching.NetworkLocalId))];
                }
                // The host could not unplug it: it is still attached, as the Job says.
                await CommitAsync(s => s.NetworkInterfaces = WithInterface(s.NetworkInterfaces, detaching with { Status = Attached }));
                return null;
            case HostCommandKind.Create when !succeeded && Hosted.HostId is null && Hosted.NetworkInterfaces.Any(n => n.Lease is not null):
                // A Machine whose create never reached a host holds no addresses; its interfaces stay, and its next
                // start (a create again) leases them again under the same ids. One placed on a host keeps them: its
                // workload may be there, and its next start goes to that host with the interfaces it has.
                foreach (var leased in Hosted.NetworkInterfaces.Where(n => n.Lease is not null))
                    await Leases(leased.NetworkLocalId).Release(this.GetPrimaryKeyString(), leased.InterfaceId);
                await CommitAsync(s => s.NetworkInterfaces = [.. s.NetworkInterfaces.Select(n => n with { Lease = null })]);
                return null;
            case HostCommandKind.Delete when succeeded:
                // Released before the Machine's state is cleared (the base removes it after this), so a crash in
                // between releases them again.
                foreach (var gone in Hosted.NetworkInterfaces)
                    await Leases(gone.NetworkLocalId).Release(this.GetPrimaryKeyString(), gone.InterfaceId);
                return null;
            default:
                return null;
        }
    }

    /// <summary>Interfaces a create in progress has leased (or is leasing) and not stored yet: held, though only in
    /// memory. A crash forgets them, and then their leases are rightly the Network's to drop.</summary>
    private readonly HashSet<string> _leasingForCreate = new(StringComparer.Ordinal);

    /// <summary>Answers the Network reconciling its leases (interleaved, so it reads only what this activation holds):
    /// a Machine that is not stored (gone, or its create never stored it) holds nothing, so a lease it left behind is
    /// dropped. An activation unsure of its durable state (a failed write) says it holds the lease: the Network keeps
    /// it and asks again at its next reconciliation.</summary>
    public Task<bool> HoldsNetworkInterface(string networkKey, string interfaceId) => Task.FromResult(
        _leasingForCreate.Contains(interfaceId)
        || IsStale
        || Hosted.Resource is not null
            && Hosted.NetworkInterfaces.Any(n => n.InterfaceId == interfaceId && GrainKeys.Of(TenantId, n.NetworkLocalId) == networkKey));

    /// <summary>Gives the interface's lease back, then forgets the interface.</summary>
    private async Task ReleaseInterfaceAsync(string interfaceId)
    {
        if (FindInterface(interfaceId) is not { } entry) return;
        await Leases(entry.NetworkLocalId).Release(this.GetPrimaryKeyString(), interfaceId);
        await CommitAsync(s => s.NetworkInterfaces = WithoutInterface(s.NetworkInterfaces, interfaceId));
    }

    /// <summary>Gives up the leases of a Machine that was not stored (best effort: the answer is the refusal). One whose
    /// release fails (a storage hiccup that failed the create often fails the Network's write too) is not retried here,
    /// since nothing of this Machine is durable to retry from: the Network drops it when it reconciles its leases
    /// (<see cref="HoldsNetworkInterface"/> answers false for a Machine that is not stored).</summary>
    private async Task ReleaseInterfacesAsync(IReadOnlyList<MachineInterface> interfaces)
    {
        foreach (var entry in interfaces)
        {
            try
            {
                await Leases(entry.NetworkLocalId).Release(this.GetPrimaryKeyString(), entry.InterfaceId);
            }
            catch (Exception e)
            {
                LogLeaseLeftToNetwork(logger, ResourceId, entry.NetworkLocalId, e.Message);
            }
        }
    }

    /// <summary>Interfaces no operation carries on: a lease whose answer was lost or that was never accepted, a detach
    /// whose release was cut short. Nothing in flight is stranded.</summary>
    private IReadOnlyList<MachineInterface> StrandedInterfaces() =>
        [.. Hosted.NetworkInterfaces.Where(n => n.Status == Leasing
            || (n.Status is Attaching or Detaching && Hosted.Pending?.Parameter(InterfaceParameter) != n.InterfaceId))];

    private void ScheduleStrandedInterfaceRelease(TimeSpan dueTime) =>
        this.RegisterGrainTimer(_ => ReleaseStrandedInterfacesAsync(), new GrainTimerCreationOptions(dueTime, Timeout.InfiniteTimeSpan));

    /// <summary>Releases the stranded interfaces; retried while a Network cannot be reached.</summary>
    private async Task ReleaseStrandedInterfacesAsync()
    {
        try
        {
            await Fresh();
            if (Hosted.Resource is null) return;
            foreach (var entry in StrandedInterfaces()) await ReleaseInterfaceAsync(entry.InterfaceId);
        }
        catch (Exception e) when (e is not CimiException || e is CimiException { Kind: CimiErrorKind.Unavailable })
        {
            LogLeaseReleaseRetried(logger, ResourceId, e.Message);
            ScheduleStrandedInterfaceRelease(ReleaseRetry);
        }
    }

    /// <summary>The interfaces every create carries: the attached ones (and one being attached, for its command).</summary>
    private IReadOnlyList<NetworkInterfaceSpec>? SpecInterfaces()
    {
        var specs = Hosted.NetworkInterfaces.Where(n => n.Status is Attached or Attaching && n.Lease is not null).Select(InterfaceSpecOf).ToList();
        return specs.Count > 0 ? specs : null;
    }

    /// <summary>The interface the pending attach or detach is about, as its host plugs it.</summary>
    private NetworkInterfaceSpec? PendingInterfaceSpec(PendingOperation<MachineStateName> pending) =>
        pending.Parameter(InterfaceParameter) is { } id && FindInterface(id) is { Lease: not null } entry ? InterfaceSpecOf(entry) : null;

    private static NetworkInterfaceSpec InterfaceSpecOf(MachineInterface n) =>
        new(n.InterfaceId, n.Lease!.NetworkKey, n.Lease.Vni, n.Lease.Mac, n.Lease.Addresses, n.Lease.Gateway, n.Lease.Dns, n.Lease.Mtu, n.Lease.NetworkType,
            n.Lease.NetworkPortKey is { Length: > 0 } port ? port : null);

    private MachineNetworkInterface ToMachineNetworkInterface(MachineInterface n)
    {
        var id = MachineNetworkInterfaces.InterfaceId(ResourceId, n.InterfaceId);
        var properties = new Dictionary<string, string> { [MachineNetworkInterfaces.StatusProperty] = InterfaceStatusName(n.Status) };
        if (n.StaticAddress is { } ip) properties[MachineNetworkInterfaces.StaticAddressProperty] = ip;
        var port = n.Lease?.NetworkPortKey is { Length: > 0 } portKey ? GrainKeys.Split(portKey).LocalId : n.NetworkPortLocalId;
        return new MachineNetworkInterface
        {
            Id = id, Created = n.Created, Updated = n.Created, Properties = properties,
            Addresses = new ResourceRef(MachineNetworkInterfaces.AddressesOf(ResourceId, n.InterfaceId)),
            Network = new ResourceRef(NetworkHref(n.NetworkLocalId)),
            NetworkPort = port is null ? null : new ResourceRef($"{MachineNetworkInterfaces.NetworkPortCollectionSegment}/{port}"),
            // Plugged (or carried by every create of a Machine without a host): ACTIVE; on its way in or out, or without
            // its lease (its create failed; the next start leases it again): PASSIVE.
            State = n is { Status: Attached, Lease: not null } ? MachineNetworkInterfaces.Active : MachineNetworkInterfaces.Passive,
            Mtu = n.Lease?.Mtu, MacAddress = n.Lease?.Mac, NetworkType = n.Lease?.NetworkType,
            Operations = n.Status == Attached ? [new Operation("delete", id)] : [],
        };
    }

    private static string InterfaceStatusName(MachineInterfaceStatus status) => status switch
    {
        Attached => "attached",
        Detaching => "detaching",
        _ => "attaching",
    };

    private static string NetworkHref(string networkLocalId) => $"{MachineNetworkInterfaces.NetworkCollectionSegment}/{networkLocalId}";

    private INetworkInterfaceLeases Leases(string networkLocalId) => GrainFactory.GetGrain<INetworkInterfaceLeases>(GrainKeys.Of(TenantId, networkLocalId));

    private MachineInterface? FindInterface(string interfaceId) => Hosted.NetworkInterfaces.FirstOrDefault(n => n.InterfaceId == interfaceId);

    private static IReadOnlyList<MachineInterface> WithInterface(IReadOnlyList<MachineInterface> interfaces, MachineInterface changed) =>
        [.. interfaces.Select(n => n.InterfaceId == changed.InterfaceId ? changed : n)];

    private static IReadOnlyList<MachineInterface> WithoutInterface(IReadOnlyList<MachineInterface> interfaces, string interfaceId) =>
        [.. interfaces.Where(n => n.InterfaceId != interfaceId)];

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: the lease on Network {NetworkLocalId} of a create that was not stored could not be released ({Reason}); the Network drops it when it reconciles")]
    private static partial void LogLeaseLeftToNetwork(ILogger logger, string resourceId, string networkLocalId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: a network interface lease nothing carries on could not be released yet; retrying: {Reason}")]
    private static partial void LogLeaseReleaseRetried(ILogger logger, string resourceId, string reason);
}
