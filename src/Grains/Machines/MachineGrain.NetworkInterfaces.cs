using CimiGrains.Grains.Common;
using CimiGrains.Hosts;
using CimiGrains.Machines;
using CimiGrains.Networks;
using Microsoft.Extensions.Logging;
using static CimiGrains.Grains.Machines.MachineInterfaceStatus;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// The Machine's <c>networkInterfaces</c> collection, and attaching and detaching interfaces as operations of the
/// Machine (docs/NETWORKS.md "Machines on Networks"), in the way Volumes attach: the Network leases the interface
/// its MAC and addresses before the attach is accepted (so a full Network is the consumer's 409), the Machine's
/// host plugs it (AttachNetworkInterface, fenced and re-sent like any operation), and the lease is given back
/// when the host unplugged it, when the Machine is deleted, or when its create failed. The Machine's own state
/// does not change.
/// </summary>
public sealed partial class MachineGrain
{
    /// <summary>Operation parameter of an attach or detach: the interface's id.</summary>
    private const string InterfaceParameter = "networkInterface";

    public Task<IReadOnlyList<MachineNetworkInterface>> GetNetworkInterfaces()
    {
        Existing();
        return Task.FromResult<IReadOnlyList<MachineNetworkInterface>>(
            [.. Hosted.NetworkInterfaces.Where(n => n.Status != Leasing).Select(ToMachineNetworkInterface)]);
    }

    public Task<IReadOnlyList<MachineNetworkInterfaceAddress>> GetNetworkInterfaceAddresses(string interfaceId)
    {
        Existing();
        var entry = FindInterface(interfaceId) is { Status: not Leasing } found
            ? found
            : throw CimiException.NotFound($"MachineNetworkInterface '{MachineNetworkInterfaces.InterfaceId(ResourceId, interfaceId)}'");
        var collection = MachineNetworkInterfaces.AddressesOf(ResourceId, interfaceId);
        return Task.FromResult<IReadOnlyList<MachineNetworkInterfaceAddress>>([.. (entry.Lease?.AddressKeys ?? []).Select(key =>
        {
            var local = GrainKeys.Split(key).LocalId;
            return new MachineNetworkInterfaceAddress
            {
                Id = $"{collection}/{local}", Created = entry.Created, Updated = entry.Created,
                Address = new ResourceRef($"{MachineNetworkInterfaces.AddressCollectionSegment}/{local}"),
            };
        })]);
    }

    public async Task<MachineNetworkInterfaceOperationResult> AttachNetworkInterface(MachineNetworkInterface given, string jobLocalId)
    {
        await Fresh();
        var machine = Existing();
        CommonValidation.Check(given);
        foreach (var (name, value) in new (string, object?)[] { ("addresses", given.Addresses), ("macAddress", given.MacAddress), ("networkType", given.NetworkType) })
        {
            if (value is not null)
                throw CimiException.Invalid($"'{name}' of a MachineNetworkInterface is the Network's to give; ask for a static address with the property '{MachineNetworkInterfaces.StaticAddressProperty}'.");
        }
        string? staticAddress = null;
        given.Properties?.TryGetValue(MachineNetworkInterfaces.StaticAddressProperty, out staticAddress);
        var wanted = MachineNetworkInterfaceRules.Check(given.Network, given.NetworkPort, staticAddress, given.State, given.Mtu, "The MachineNetworkInterface");

        var current = machine.State!.Value;
        if (MachineTransitions.IsTransitional(current) || Hosted.Pending is not null)
            throw CimiException.Conflict($"The Machine is {current}{(Hosted.Pending is null ? "" : " with another operation in progress")}; attaching a network interface must wait until it is settled.");
        if (Hosted.NetworkInterfaces.Count(n => n.Status != Detaching) >= MachineNetworkInterfaces.MaxPerMachine)
            throw CimiException.Conflict($"The Machine has {MachineNetworkInterfaces.MaxPerMachine} network interfaces, the most a Machine may have.");

        // The intent is durable before the Network is asked: a crash from here on leaves an entry the next
        // activation releases, never a lease nobody knows of.
        var entry = new MachineInterface(Guid.NewGuid().ToString("N"), wanted.NetworkLocalId, wanted.PortLocalId, wanted.StaticAddress, Leasing, null, Now);
        await CommitAsync(s => s.NetworkInterfaces = [.. s.NetworkInterfaces, entry]);
        NetworkInterfaceLease lease;
        try
        {
            lease = await LeaseAsync(entry, "The MachineNetworkInterface", wanted.Mtu);
        }
        catch (CimiException)
        {
            // The Network said no (or the mtu does not match, and the lease was given back): nothing stays.
            try
            {
                await CommitAsync(s => s.NetworkInterfaces = WithoutInterface(s.NetworkInterfaces, entry.InterfaceId));
            }
            catch
            {
                ScheduleStrandedInterfaceRelease(ReleaseRetry);
            }
            throw;
        }
        catch
        {
            // The answer was lost: the Network may hold the lease, so it is released.
            ScheduleStrandedInterfaceRelease(TimeSpan.Zero);
            throw;
        }

        var href = NetworkHref(entry.NetworkLocalId);
        try
        {
            if (Hosted.HostId is not { } hostId) return await AttachInterfaceUnplacedAsync(entry with { Status = Attached, Lease = lease }, jobLocalId);
            // The Network's other hosts learn where the interface is before the host plugs it.
            await Leases(entry.NetworkLocalId).Bind(this.GetPrimaryKeyString(), entry.InterfaceId, hostId);
            var (_, job) = await base.Accept(HostCommandKind.AttachNetworkInterface, current, jobLocalId, "add", force: false,
                $"Attaching the Machine to Network '{href}'.", new Dictionary<string, string> { [InterfaceParameter] = entry.InterfaceId },
                setUp: s => s.NetworkInterfaces = WithInterface(s.NetworkInterfaces, entry with { Status = Attaching, Lease = lease }));
            return new MachineNetworkInterfaceOperationResult(ToMachineNetworkInterface(FindInterface(entry.InterfaceId)!), job);
        }
        catch
        {
            // Not accepted: the lease is given up again.
            ScheduleStrandedInterfaceRelease(TimeSpan.Zero);
            throw;
        }
    }

    public async Task<MachineNetworkInterfaceOperationResult> DetachNetworkInterface(string interfaceId, string jobLocalId)
    {
        await Fresh();
        var machine = Existing();
        var id = MachineNetworkInterfaces.InterfaceId(ResourceId, interfaceId);
        var entry = FindInterface(interfaceId) is { Status: not Leasing } found ? found : throw CimiException.NotFound($"MachineNetworkInterface '{id}'");
        if (entry.Status != Attached) throw CimiException.Conflict($"MachineNetworkInterface '{id}' is {InterfaceStatusName(entry.Status)}; detaching it must wait.");
        var current = machine.State!.Value;
        if (MachineTransitions.IsTransitional(current) || Hosted.Pending is not null)
            throw CimiException.Conflict($"The Machine is {current}{(Hosted.Pending is null ? "" : " with another operation in progress")}; detaching a network interface must wait until it is settled.");
        var href = NetworkHref(entry.NetworkLocalId);
        if (Hosted.HostId is null)
        {
            var job = Job(jobLocalId);
            await job.Begin("delete", Self, [Self, new ResourceRef(href)], $"Detaching the Machine from Network '{href}'.");
            // Detaching is durable before the Network is told, so a crash in between still releases it.
            await CommitAsync(s => s.NetworkInterfaces = WithInterface(s.NetworkInterfaces, entry with { Status = Detaching }));
            var detaching = ToMachineNetworkInterface(FindInterface(interfaceId)!);
            await ReleaseInterfaceAsync(interfaceId);
            await job.Finish(true, $"The Machine is detached from Network '{href}'.", [Self, new ResourceRef(href)]);
            return new MachineNetworkInterfaceOperationResult(detaching, await job.Get());
        }
        var (_, accepted) = await base.Accept(HostCommandKind.DetachNetworkInterface, current, jobLocalId, "delete", force: false,
            $"Detaching the Machine from Network '{href}'.", new Dictionary<string, string> { [InterfaceParameter] = interfaceId },
            setUp: s => s.NetworkInterfaces = WithInterface(s.NetworkInterfaces, entry with { Status = Detaching }));
        return new MachineNetworkInterfaceOperationResult(ToMachineNetworkInterface(FindInterface(interfaceId)!), accepted);
    }

    /// <summary>
    /// Leases a new Machine's template interfaces before it is stored (each under the id it keeps), so that a Network
    /// that cannot take one is the create's answer. On any refusal those already leased are released: a Machine that
    /// is not stored holds nothing.
    /// </summary>
    private async Task<IReadOnlyList<MachineInterface>> LeaseTemplateInterfacesAsync(IReadOnlyList<MachineTemplateNetworkInterface>? interfaces)
    {
        var wanted = MachineNetworkInterfaceRules.CheckTemplate(interfaces);
        var leased = new List<MachineInterface>();
        try
        {
            foreach (var (w, i) in wanted.Select((w, i) => (w, i)))
            {
                var entry = new MachineInterface(Guid.NewGuid().ToString("N"), w.NetworkLocalId, w.PortLocalId, w.StaticAddress, Leasing, null, Now);
                // Recorded before the Network is asked, so a refusal releases it too (Release of an unknown lease succeeds),
                // and so a Network reconciling meanwhile hears that this Machine holds it (Create forgets it once stored).
                leased.Add(entry);
                _leasingForCreate.Add(entry.InterfaceId);
                var lease = await LeaseAsync(entry, $"'machineTemplate.networkInterfaces[{i}]'", w.Mtu);
                leased[^1] = entry with { Status = Attached, Lease = lease };
            }
            return leased;
        }
        catch
        {
            await ReleaseInterfacesAsync(leased);
            throw;
        }
    }

    /// <summary>
    /// A create's interfaces once it is placed on <paramref name="hostId"/>: those without a lease (given back by a
    /// failed create) are leased again under their ids, and every one is bound to the host. Each call is idempotent,
    /// so the plan may repeat it after a crash. Returns why the create cannot go on, or null.
    /// </summary>
    private async Task<string?> PrepareInterfacesAsync(string hostId)
    {
        foreach (var (entry, i) in Hosted.NetworkInterfaces.Where(n => n.Status is Attached or Attaching).Select((n, i) => (n, i)))
        {
            try
            {
                var lease = entry.Lease;
                if (lease is null)
                {
                    lease = await LeaseAsync(entry, $"The Machine's interface on Network '{NetworkHref(entry.NetworkLocalId)}'", mtu: null);
                    await CommitAsync(s => s.NetworkInterfaces = WithInterface(s.NetworkInterfaces, entry with { Lease = lease }));
                }
                await Leases(entry.NetworkLocalId).Bind(this.GetPrimaryKeyString(), entry.InterfaceId, hostId);
            }
            catch (CimiException e) when (e.Kind is not CimiErrorKind.Unavailable)
            {
                return $"Network interface {i} (Network '{NetworkHref(entry.NetworkLocalId)}') cannot be made: {e.Message}";
            }
        }
        return null;
    }

    /// <summary>Asks the Network for the interface's lease, naming the Network in a refusal; an <paramref name="mtu"/>
    /// that is not the Network's gives the lease back and is refused.</summary>
    private async Task<NetworkInterfaceLease> LeaseAsync(MachineInterface entry, string at, int? mtu)
    {
        var href = NetworkHref(entry.NetworkLocalId);
        var request = new NetworkInterfaceRequest(entry.StaticAddress, entry.NetworkPortLocalId is { } port ? GrainKeys.Of(TenantId, port) : null);
        NetworkInterfaceLease lease;
        try
        {
            // Another tenant's Network is a different key, so it is as absent as one that never existed.
            lease = await Leases(entry.NetworkLocalId).Lease(this.GetPrimaryKeyString(), entry.InterfaceId, request);
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.NotFound)
        {
            throw CimiException.NotFound($"Network '{href}'");
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.Conflict)
        {
            throw CimiException.Conflict($"Network '{href}' cannot take {at}: {e.Message}");
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.Invalid)
        {
            throw CimiException.Invalid($"{at} on Network '{href}': {e.Message}");
        }
        if (mtu is { } m && m != lease.Mtu)
        {
            await Leases(entry.NetworkLocalId).Release(this.GetPrimaryKeyString(), entry.InterfaceId);
            throw CimiException.Invalid($"{at} asks for an mtu of {m}; Network '{href}' has {lease.Mtu}, which its interfaces take.");
        }
        return lease;
    }

    /// <summary>A Machine never placed on a host has nothing to plug into: the interface is recorded, and its next
    /// create (start) carries it, bound to the host that create is placed on.</summary>
    private async Task<MachineNetworkInterfaceOperationResult> AttachInterfaceUnplacedAsync(MachineInterface attached, string jobLocalId)
    {
        await CommitAsync(s => s.NetworkInterfaces = WithInterface(s.NetworkInterfaces, attached));
        var job = Job(jobLocalId);
        var href = NetworkHref(attached.NetworkLocalId);
        await job.Begin("add", Self, [Self, new ResourceRef(href)], $"Attaching the Machine to Network '{href}'.");
        await job.Finish(true, $"The Machine is attached to Network '{href}'; it has no host yet, so the interface is there from its next start.",
            [Self, new ResourceRef(href)]);
        return new MachineNetworkInterfaceOperationResult(ToMachineNetworkInterface(attached), await job.Get());
    }
}
