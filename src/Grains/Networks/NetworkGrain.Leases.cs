using CimiGrains.Grains.Common;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

// INetworkInterfaceLeases: a Network's addresses and MACs, owned by it and written before they are answered.
public sealed partial class NetworkGrain
{
    public const int MaxInterfaceIdLength = 128;

    public async Task<NetworkInterfaceLease> Lease(string machineKey, string interfaceId, NetworkInterfaceRequest request)
    {
        var network = Existing();
        CheckCaller(machineKey);
        if (string.IsNullOrWhiteSpace(interfaceId) || interfaceId.Length > MaxInterfaceIdLength)
            throw CimiException.Invalid($"A Machine interface needs an id of 1 to {MaxInterfaceIdLength} characters, not '{interfaceId}'.");
        var key = NetworkLease.KeyOf(machineKey, interfaceId);
        if (State.State.Leases.TryGetValue(key, out var held))
        {
            // A repeat (the caller crashed before it stored the answer): the same lease, with the Network's routing as it is now.
            await EnsureLeaseResourcesAsync(held);
            return held.Answer with { Gateway = GatewayAddress };
        }
        if (!NetworkTransitions.Leasable(network.State!.Value))
            throw CimiException.Conflict($"Network '{ResourceId}' is {network.State}; a Machine can join it only once it is STARTED or STOPPED.");
        var subnet = Subnet;
        var offset = Allocate(subnet, request.StaticAddress);
        var (portLocalId, consumerPort) = await PortForAsync(request.NetworkPortKey);
        var addressLocalId = NewLocalId();
        var answer = new NetworkInterfaceLease(NetworkKey, MacOf(State.State.Vni, offset), [subnet.CidrAt(offset)],
            [GrainKeys.Of(TenantId, addressLocalId)], GatewayAddress, [], network.Mtu!.Value, network.NetworkType!, State.State.Vni,
            GrainKeys.Of(TenantId, portLocalId));
        var lease = new NetworkLease(machineKey, interfaceId, offset, request.StaticAddress is not null, addressLocalId, portLocalId, null, answer,
            consumerPort);
        await CommitAsync(s =>
        {
            s.Leases = new Dictionary<string, NetworkLease>(s.Leases) { [key] = lease };
            if (consumerPort) s.Ports = new Dictionary<string, string>(s.Ports) { [portLocalId] = key };
        });
        LogLeased(logger, ResourceId, machineKey, interfaceId, subnet.AddressAt(offset));
        await EnsureLeaseResourcesAsync(lease);
        return answer;
    }

    public async Task Bind(string machineKey, string interfaceId, string hostId)
    {
        Existing();
        CheckCaller(machineKey);
        if (string.IsNullOrWhiteSpace(hostId)) throw CimiException.Invalid("An interface is bound to a host id; none was given.");
        var key = NetworkLease.KeyOf(machineKey, interfaceId);
        if (!State.State.Leases.TryGetValue(key, out var lease))
            throw CimiException.Conflict($"Network '{ResourceId}' holds no lease for interface '{interfaceId}' of Machine '{MachineRef(machineKey)}'; lease it first.");
        // Bound again to the same host, the views go out again all the same: that is how a host that lost one gets it back.
        await CommitAsync(s =>
        {
            s.Leases = new Dictionary<string, NetworkLease>(s.Leases) { [key] = lease with { HostId = hostId } };
            TellEveryHost(s);
        });
        SchedulePush(TimeSpan.Zero);
    }

    public async Task Release(string machineKey, string interfaceId)
    {
        var key = NetworkLease.KeyOf(machineKey, interfaceId);
        if (State.State.Resource is null || !State.State.Leases.TryGetValue(key, out var lease)) return;
        await DropAsync([lease]);
    }

    /// <summary>Gives <paramref name="leases"/> back in one write: their addresses are free again, their hosts forget them,
    /// and their Address and NetworkPort resources go.</summary>
    private async Task DropAsync(IReadOnlyList<NetworkLease> leases)
    {
        var keys = leases.Select(l => NetworkLease.KeyOf(l.MachineKey, l.InterfaceId)).ToHashSet(StringComparer.Ordinal);
        await CommitAsync(s =>
        {
            // The host it was on is told before the lease goes (TellEveryHost reads the hosts with ports now).
            TellEveryHost(s);
            s.Leases = s.Leases.Where(l => !keys.Contains(l.Key)).ToDictionary(l => l.Key, l => l.Value);
            var freed = leases.Where(l => l.ConsumerPort && s.Ports.ContainsKey(l.PortLocalId)).ToList();
            if (freed.Count > 0)
            {
                var ports = new Dictionary<string, string>(s.Ports);
                foreach (var l in freed) ports[l.PortLocalId] = "";
                s.Ports = ports;
            }
        });
        foreach (var lease in leases)
        {
            LogReleased(logger, ResourceId, lease.MachineKey, lease.InterfaceId);
            await ForgetLeaseResourcesAsync(lease);
        }
        SchedulePush(TimeSpan.Zero);
    }

    /// <summary>
    /// Drops the leases whose Machine no longer holds the interface (it is gone, or never stored it): a release lost
    /// with a crash or a failed best-effort call would otherwise count as a port for ever and keep the Network from its
    /// delete. Each Machine is asked (it is the truth about its interfaces); one that cannot answer keeps its leases,
    /// so nothing in use is dropped. Idempotent: a lease already released is not asked about again.
    /// </summary>
    private async Task ReconcileLeasesAsync()
    {
        var byMachine = State.State.Leases.Values.GroupBy(l => l.MachineKey, StringComparer.Ordinal).ToList();
        var answers = await Task.WhenAll(byMachine.Select(async machine =>
        {
            var holder = GrainFactory.GetGrain<INetworkInterfaceHolder>(machine.Key);
            var orphans = new List<NetworkLease>();
            foreach (var lease in machine)
            {
                try
                {
                    if (!await holder.HoldsNetworkInterface(NetworkKey, lease.InterfaceId)) orphans.Add(lease);
                }
                catch (Exception e)
                {
                    LogLeaseNotReconciled(logger, ResourceId, MachineRef(machine.Key), e.Message);
                }
            }
            return orphans;
        }));
        var lost = answers.SelectMany(a => a).Where(l => State.State.Leases.ContainsKey(NetworkLease.KeyOf(l.MachineKey, l.InterfaceId))).ToList();
        if (lost.Count == 0) return;
        LogLeasesReconciled(logger, ResourceId, lost.Count, string.Join(", ", lost.Select(l => MachineRef(l.MachineKey)).Distinct()));
        await DropAsync(lost);
    }

    /// <summary>Another tenant's Machine cannot see this Network at all.</summary>
    private void CheckCaller(string machineKey)
    {
        if (!machineKey.Contains('/') || GrainKeys.Split(machineKey).TenantId != TenantId) throw CimiException.NotFound($"Network '{ResourceId}'");
    }

    /// <summary>
    /// A locally administered unicast MAC (first octet 02) made of the Network's VNI (24 bits, unique in the cluster)
    /// and the address's offset in its subnet (16 bits: a subnet is at most a /16, and an offset is held by one
    /// lease at a time): so no two live interfaces of the cluster share a MAC, and nothing else must be stored.
    /// </summary>
    public static string MacOf(uint vni, uint offset) =>
        $"02:{(vni >> 16) & 0xFF:x2}:{(vni >> 8) & 0xFF:x2}:{vni & 0xFF:x2}:{(offset >> 8) & 0xFF:x2}:{offset & 0xFF:x2}";

}
