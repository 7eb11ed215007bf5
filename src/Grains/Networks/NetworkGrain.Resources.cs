using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

// The Address and NetworkPort resources of the Network's leases, and those consumers reserve or create on it.
// Calls go Network → Address/NetworkPort for a lease's resources; a consumer's Address or port calls the Network
// (ReserveAddress, AddPort) and is never called back for it, so no two grains wait on each other.
public sealed partial class NetworkGrain
{
    /// <summary>The port a lease uses: the consumer's port it names (free, and on this Network), or a new one made for it.</summary>
    private Task<(string LocalId, bool Consumer)> PortForAsync(string? portKey)
    {
        if (portKey is null) return Task.FromResult((NewLocalId(), false));
        var localId = portKey.Contains('/') && GrainKeys.Split(portKey).TenantId == TenantId ? GrainKeys.Split(portKey).LocalId : null;
        if (localId is null || !State.State.Ports.TryGetValue(localId, out var user))
            throw CimiException.Invalid($"NetworkPort '{PortRef(localId ?? portKey)}' is not a port of Network '{ResourceId}'.");
        if (user.Length > 0)
            throw CimiException.Conflict($"NetworkPort '{PortRef(localId)}' is used by Machine '{MachineRef(State.State.Leases[user].MachineKey)}'.");
        return Task.FromResult((localId, true));
    }

    /// <summary>The lease's Address and (own) NetworkPort, as they should be now; written again on a repeated lease, so a
    /// crash between the lease and its resources leaves no lease without them.</summary>
    private async Task EnsureLeaseResourcesAsync(NetworkLease lease)
    {
        var subnet = Subnet;
        var network = State.State.Resource!;
        var machine = new ResourceRef(MachineRef(lease.MachineKey));
        await GrainFactory.GetGrain<IAddressGrain>(GrainKeys.Of(TenantId, lease.AddressLocalId)).Record(new Address
        {
            Name = $"{GrainKeys.Split(lease.MachineKey).LocalId} {lease.InterfaceId}",
            Ip = subnet.AddressAt(lease.Offset), Allocation = lease.Static ? "static" : "dynamic", DefaultGateway = GatewayAddress,
            Protocol = "IPv4", Mask = subnet.MaskText, Network = new ResourceRef(ResourceId), Resource = machine,
        });
        if (!lease.ConsumerPort)
            await GrainFactory.GetGrain<INetworkPortGrain>(GrainKeys.Of(TenantId, lease.PortLocalId)).Record(new NetworkPort
            {
                Name = $"{GrainKeys.Split(lease.MachineKey).LocalId} {lease.InterfaceId}",
                State = network.State, Network = new ResourceRef(ResourceId), PortType = NetworkPortGrain.DefaultPortType,
                ClassOfService = network.ClassOfService, Resource = machine,
            });
    }

    private async Task ForgetLeaseResourcesAsync(NetworkLease lease)
    {
        await GrainFactory.GetGrain<IAddressGrain>(GrainKeys.Of(TenantId, lease.AddressLocalId)).Forget();
        if (!lease.ConsumerPort) await GrainFactory.GetGrain<INetworkPortGrain>(GrainKeys.Of(TenantId, lease.PortLocalId)).Forget();
    }

    /// <summary>After a start or stop, the ports the Network made show its new state (best effort: they are its view only).</summary>
    private async Task RecordPortStatesAsync()
    {
        foreach (var lease in State.State.Leases.Values.Where(l => !l.ConsumerPort))
        {
            var done = await TryAsync(() => EnsureLeaseResourcesAsync(lease));
            if (!done) LogPushFailed(logger, new InvalidOperationException("port not recorded"), ResourceId, "(port " + lease.PortLocalId + ")", State.State.Version);
        }
    }

    public Task<IReadOnlyList<string>> GetPortIds()
    {
        Existing();
        IReadOnlyList<string> ids = [.. State.State.Leases.Values.Select(l => l.PortLocalId).Concat(State.State.Ports.Keys)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        return Task.FromResult(ids);
    }

    public async Task<Address> ReserveAddress(string addressKey, string? ip)
    {
        Existing();
        CheckCaller(addressKey);
        var localId = GrainKeys.Split(addressKey).LocalId;
        var subnet = Subnet;
        if (!State.State.Reservations.TryGetValue(localId, out var offset))
        {
            offset = Allocate(subnet, ip);
            await CommitAsync(s => s.Reservations = new Dictionary<string, uint>(s.Reservations) { [localId] = offset });
        }
        return new Address
        {
            Ip = subnet.AddressAt(offset), Allocation = ip is null ? "dynamic" : "static", DefaultGateway = GatewayAddress, Protocol = "IPv4",
            Mask = subnet.MaskText, Network = new ResourceRef(ResourceId),
        };
    }

    public async Task ReleaseAddress(string addressKey)
    {
        var localId = GrainKeys.Split(addressKey).LocalId;
        if (State.State.Resource is null || !State.State.Reservations.ContainsKey(localId)) return;
        await CommitAsync(s => s.Reservations = s.Reservations.Where(r => r.Key != localId).ToDictionary(r => r.Key, r => r.Value));
    }

    public async Task<NetworkStateName> AddPort(string portKey)
    {
        var network = Existing();
        CheckCaller(portKey);
        if (!NetworkTransitions.Leasable(network.State!.Value))
            throw CimiException.Conflict($"Network '{ResourceId}' is {network.State}; a port can be made on it only once it is STARTED or STOPPED.");
        var localId = GrainKeys.Split(portKey).LocalId;
        if (!State.State.Ports.ContainsKey(localId))
            await CommitAsync(s => s.Ports = new Dictionary<string, string>(s.Ports) { [localId] = "" });
        return network.State!.Value;
    }

    public async Task RemovePort(string portKey)
    {
        var localId = GrainKeys.Split(portKey).LocalId;
        if (State.State.Resource is null) return;
        if (State.State.Leases.Values.FirstOrDefault(l => l.PortLocalId == localId) is { } user)
            throw CimiException.Conflict($"NetworkPort '{PortRef(localId)}' is used by interface '{user.InterfaceId}' of Machine '{MachineRef(user.MachineKey)}'; " +
                "detach that interface first.");
        if (!State.State.Ports.ContainsKey(localId)) return;
        await CommitAsync(s => s.Ports = s.Ports.Where(p => p.Key != localId).ToDictionary(p => p.Key, p => p.Value));
    }

    /// <summary>The offset of <paramref name="ip"/> when it is free (400 when it is no leasable address of the subnet, 409
    /// naming the holder when taken), or of the lowest free address (409 when none is).</summary>
    private uint Allocate(Ipv4Subnet subnet, string? ip)
    {
        var taken = State.State.Leases.Values.ToDictionary(l => l.Offset, l => $"Machine '{MachineRef(l.MachineKey)}' (interface '{l.InterfaceId}')");
        foreach (var (address, at) in State.State.Reservations) taken[at] = $"Address '{AddressRegistration.Type.Kind.IdOf(address)}'";
        if (ip is not null)
        {
            var (offset, problem) = subnet.OffsetOf(ip.Trim());
            if (problem is not null) throw CimiException.Invalid($"Static address {problem}");
            if (taken.TryGetValue(offset, out var holder))
                throw CimiException.Conflict($"Address '{ip}' of Network '{ResourceId}' is taken by {holder}; ask for another, or none to get a free one.");
            return offset;
        }
        for (var offset = subnet.FirstLeasable; offset <= subnet.LastLeasable; offset++)
        {
            if (!taken.ContainsKey(offset)) return offset;
        }
        throw CimiException.Conflict($"Network '{ResourceId}' has no free address: all {subnet.LastLeasable - subnet.FirstLeasable + 1} " +
            $"leasable addresses of {subnet} are held.");
    }

    private static string PortRef(string localId) => NetworkPortRegistration.Type.Kind.IdOf(localId);

    private static string NewLocalId() => Guid.NewGuid().ToString("N");
}
