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
        await CommitAsync(s =>
        {
            // The host it was on is told before the lease goes (TellEveryHost reads the hosts with ports now).
            TellEveryHost(s);
            s.Leases = s.Leases.Where(l => l.Key != key).ToDictionary(l => l.Key, l => l.Value);
            if (lease.ConsumerPort && s.Ports.ContainsKey(lease.PortLocalId)) s.Ports = new Dictionary<string, string>(s.Ports) { [lease.PortLocalId] = "" };
        });
        LogReleased(logger, ResourceId, machineKey, interfaceId);
        await ForgetLeaseResourcesAsync(lease);
        SchedulePush(TimeSpan.Zero);
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
