using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// A Network: a stored resource whose lifecycle (<see cref="NetworkTransitions"/>) is its own, which owns its
/// addresses (<c>NetworkGrain.Leases.cs</c>) and tells every host with a port on it what it should be there
/// (<c>NetworkGrain.Hosts.cs</c>). Its subnet is reserved with the tenant's (<see cref="ITenantSubnetsGrain"/>)
/// and its VNI with the cluster's allocator (<see cref="INetworkVniAllocatorGrain"/>) before it is stored.
/// </summary>
public sealed partial class NetworkGrain(
    [PersistentState("network", "cimi")] IPersistentState<NetworkGrainState> state,
    ResourceReadModel readModel,
    ILogger<NetworkGrain> logger)
    : CimiResourceGrain<Network, NetworkGrainState>(state, readModel, NetworkRegistration.Type.Kind), INetworkGrain, IRemindable
{
    private string NetworkKey => this.GetPrimaryKeyString();

    private Ipv4Subnet Subnet => Ipv4Subnet.Parse(State.State.Subnet, "subnet");

    /// <summary>Whether the Network routes anywhere, so that its interfaces get its gateway as their default route.</summary>
    private bool Routed => State.State.Resource?.NetworkType == NetworkTypes.Public || State.State.ForwardingGroupKey is not null;

    private string? GatewayAddress => Routed ? Subnet.Gateway : null;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        // What a previous activation could not deliver is delivered now.
        if (State.State.HostsToTell.Count > 0) SchedulePush(TimeSpan.Zero);
    }

    public override Task<Network> Create(Network document) =>
        throw CimiException.Invalid("A Network is created by POSTing a NetworkCreate (with a 'networkTemplate') to the networks collection.");

    public async Task<Network> Create(NetworkCreate create)
    {
        if (State.State.Resource is not null) throw CimiException.Conflict($"Network '{ResourceId}' already exists.");
        CommonValidation.Check(create);
        var given = create.NetworkTemplate
            ?? throw CimiException.Invalid("NetworkCreate needs a 'networkTemplate' (by reference, by value, or both).");
        // Everything is resolved and checked before anything is reserved or stored: bad input leaves nothing behind.
        var template = await References.ResolveOrValueAsync<INetworkTemplateGrain, NetworkTemplate>(
            GrainFactory, TenantId, NetworkTemplateRegistration.Type.Kind, "networkTemplate", given, NetworkTemplateGrain.Merge);
        await NetworkTemplateGrain.CheckAsync(GrainFactory, TenantId, template! with { Href = null });
        var config = await References.ResolveOrValueAsync<INetworkConfigurationGrain, NetworkConfiguration>(
            GrainFactory, TenantId, NetworkConfigurationRegistration.Type.Kind, "networkTemplate.networkConfig", template!.NetworkConfig,
            NetworkConfigurationGrain.Merge)
            ?? throw CimiException.Invalid("The network template has no 'networkConfig'.");
        NetworkConfigurationGrain.Check(config);
        var initial = template.InitialState == nameof(NetworkStateName.STOPPED) ? NetworkStateName.STOPPED : NetworkStateName.STARTED;
        var meterTemplates = await Meters.TemplateMeters.ResolveAsync(GrainFactory, TenantId, NetworkRegistration.Type.TypeName,
            template.MeterTemplates, Meters.TemplateMeters.SamplingPeriod(ServiceProvider));
        var eventLogTemplate = await Events.TemplateEventLogs.ResolveAsync(GrainFactory, TenantId, template.EventLogTemplate,
            Events.TemplateEventLogs.Retention(ServiceProvider));

        var subnets = GrainFactory.GetGrain<ITenantSubnetsGrain>(TenantId);
        var vnis = GrainFactory.GetGrain<INetworkVniAllocatorGrain>(0);
        var subnet = await subnets.Reserve(NetworkKey, config.Subnet);
        uint vni;
        try
        {
            vni = await vnis.Allocate(NetworkKey);
        }
        catch
        {
            await TryAsync(() => subnets.Release(NetworkKey));
            throw;
        }
        var group = template.ForwardingGroup is { } groupRef
            ? GrainFactory.GetGrain<IForwardingGroupGrain>(GrainKeys.Of(TenantId, ForwardingGroupRegistration.Type.Kind.LocalIdOf(groupRef.Href)!))
            : null;
        IReadOnlyList<string> routed = [];
        if (group is not null)
        {
            try
            {
                // Refused (409 naming both) when its subnet overlaps a member's: then nothing is kept.
                routed = await group.Join(NetworkKey, subnet);
            }
            catch
            {
                await TryAsync(() => vnis.Release(NetworkKey));
                await TryAsync(() => subnets.Release(NetworkKey));
                throw;
            }
        }
        var now = Now;
        var network = new Network
        {
            Id = ResourceId, Name = create.Name, Description = create.Description, Properties = create.Properties,
            Created = now, Updated = now, State = initial,
            NetworkType = config.NetworkType ?? NetworkTypes.Default,
            Mtu = config.Mtu ?? NetworkConfigurationGrain.DefaultMtu,
            ClassOfService = config.ClassOfService, Subnet = subnet, Vni = vni,
            ForwardingGroup = group is null ? null : new ResourceRef(ForwardingGroupRef(group.GetPrimaryKeyString())),
        };
        try
        {
            await CommitAsync(s => (s.Resource, s.Subnet, s.Vni, s.ForwardingGroupKey, s.RoutedSubnets) =
                (network, subnet, vni, group?.GetPrimaryKeyString(), routed));
        }
        catch
        {
            if (group is not null) await TryAsync(() => group.Leave(NetworkKey));
            // Nothing was stored: the reservations made for it go too.
            await TryAsync(() => vnis.Release(NetworkKey));
            await TryAsync(() => subnets.Release(NetworkKey));
            throw;
        }
        LogCreated(logger, ResourceId, subnet, vni, initial.ToString());
        // As for a Machine: the Meters its template names are made once the Network exists (checked above).
        await Meters.TemplateMeters.CreateAsync(GrainFactory, logger, TenantId, ResourceId, NetworkRegistration.Type.TypeName, meterTemplates);
        await Events.TemplateEventLogs.CreateAsync(GrainFactory, logger, TenantId, ResourceId, eventLogTemplate);
        return Public(State.State.Resource!);
    }

    public Task<Network> Start() => MoveAsync(NetworkTransitions.Operation.Start, "start");

    public Task<Network> Stop() => MoveAsync(NetworkTransitions.Operation.Stop, "stop");

    private async Task<Network> MoveAsync(NetworkTransitions.Operation operation, string action)
    {
        var network = Existing();
        var settled = NetworkTransitions.Settles(network.State!.Value, operation)
            ?? throw CimiException.Conflict($"The Network is {network.State}; '{action}' is not allowed in that state.");
        // Its hosts hear of it at once: a stopped Network forwards nothing there.
        await CommitAsync(s =>
        {
            s.Resource = network with { State = settled, Updated = Now };
            TellEveryHost(s);
        });
        SchedulePush(TimeSpan.Zero);
        await RecordPortStatesAsync();
        return Public(State.State.Resource!);
    }

    public override async Task Delete()
    {
        var network = Existing();
        // Leases whose release was lost (their Machines are gone) are not users: dropped before they are counted.
        if (State.State.Leases.Count > 0) await ReconcileLeasesAsync();
        if (InUse() is { } users)
            throw CimiException.Conflict($"Network '{ResourceId}' has {users}; detach those interfaces and delete those ports and addresses first.");
        if (!NetworkTransitions.Allowed(network.State!.Value, NetworkTransitions.Operation.Delete))
            throw CimiException.Conflict($"The Network is {network.State}; 'delete' is not allowed in that state.");
        // A host still holding a view of it hears it is gone (best effort: a host's agent removes what belongs to nothing).
        if (State.State.ForwardingGroupKey is { } groupKey) await GrainFactory.GetGrain<IForwardingGroupGrain>(groupKey).Leave(NetworkKey);
        await TellHostsGoneAsync();
        await RemoveAsync();
        await TryAsync(() => GrainFactory.GetGrain<INetworkVniAllocatorGrain>(0).Release(NetworkKey));
        await TryAsync(() => GrainFactory.GetGrain<ITenantSubnetsGrain>(TenantId).Release(NetworkKey));
        await TryAsync(ForgetPushReminderAsync);
    }

    public async Task SetForwarding(string groupKey, bool member, IReadOnlyList<string> routedSubnets, long version)
    {
        var s = State.State;
        if (s.Resource is null || (member && s.ForwardingGroupKey is { } other && other != groupKey))
        {
            // Gone, or in another group already (two groups raced to claim it): the group lets it go (one way, as it tells us).
            if (member) _ = GrainFactory.GetGrain<IForwardingGroupGrain>(groupKey).Leave(NetworkKey);
            return;
        }
        if (!member && s.ForwardingGroupKey != groupKey) return;
        if (member && s.ForwardingGroupKey == groupKey && version <= s.ForwardingGroupVersion) return;
        await CommitAsync(n =>
        {
            (n.ForwardingGroupKey, n.RoutedSubnets, n.ForwardingGroupVersion) = member ? (groupKey, routedSubnets, version) : (null, [], 0);
            n.Resource = n.Resource! with { ForwardingGroup = member ? new ResourceRef(ForwardingGroupRef(groupKey)) : null };
            TellEveryHost(n);
        });
        SchedulePush(TimeSpan.Zero);
        // Its leases' Addresses show the default gateway they now have (or no longer have).
        await RecordPortStatesAsync();
    }

    /// <summary>Only name, description and properties are the consumer's to change.</summary>
    protected override Task<Network> ValidateAsync(Network document)
    {
        CommonValidation.Check(document);
        return Task.FromResult(Existing() with { Name = document.Name, Description = document.Description, Properties = document.Properties });
    }

    protected override string? StateOf(Network resource) => resource.State?.ToString();

    /// <summary>The Network with what its grain knows besides the document (subnet, gateway, VNI, ports) and its operations.</summary>
    protected override Network Public(Network network)
    {
        var operations = new List<Operation> { new("edit", ResourceId) };
        var current = network.State!.Value;
        if (InUse() is null && NetworkTransitions.Allowed(current, NetworkTransitions.Operation.Delete))
            operations.Add(new("delete", ResourceId));
        if (NetworkTransitions.Allowed(current, NetworkTransitions.Operation.Start)) operations.Add(new(CimiUris.Action("start"), ResourceId));
        if (NetworkTransitions.Allowed(current, NetworkTransitions.Operation.Stop)) operations.Add(new(CimiUris.Action("stop"), ResourceId));
        // Subnet, VNI and forwardingGroup are kept in the stored Network too (a ForwardingGroup reads them from it).
        return network with { Gateway = GatewayAddress, NetworkPorts = new ResourceRef(NetworkPortsOf(ResourceId)), Operations = operations,
            EventLog = new ResourceRef(CimiGrains.Events.EventLogIds.ForResource(ResourceId)),
            Meters = new ResourceRef(CimiGrains.Meters.MeterRegistration.MetersOf(ResourceId)) };
    }

    /// <summary>What keeps the Network from being deleted, named (null: nothing): its ports, and the Addresses reserved on it.</summary>
    private string? InUse()
    {
        var s = State.State;
        var ports = s.Leases.Values.Select(l => $"'{PortRef(l.PortLocalId)}' (Machine '{MachineRef(l.MachineKey)}')")
            .Concat(s.Ports.Where(p => p.Value.Length == 0).Select(p => $"'{PortRef(p.Key)}'"))
            .Order(StringComparer.Ordinal).ToList();
        var addresses = s.Reservations.Keys.Select(a => $"'{AddressRegistration.Type.Kind.IdOf(a)}'").Order(StringComparer.Ordinal).ToList();
        var parts = new List<string>();
        if (ports.Count > 0) parts.Add($"NetworkPorts {string.Join(", ", ports)}");
        if (addresses.Count > 0) parts.Add($"reserved Addresses {string.Join(", ", addresses)}");
        return parts.Count == 0 ? null : string.Join(" and ", parts);
    }

    /// <summary>The NetworkPortCollection of the Network <paramref name="networkId"/> (<c>networks/{id}/networkPorts</c>).</summary>
    public static string NetworkPortsOf(string networkId) => $"{networkId}/networkPorts";

    private static string MachineRef(string machineKey) => ResourceKind.Machine.IdOf(GrainKeys.Split(machineKey).LocalId);

    private static string ForwardingGroupRef(string groupKey) => $"forwardingGroups/{GrainKeys.Split(groupKey).LocalId}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Network {NetworkId}: subnet {Subnet}, VNI {Vni}, {State}")]
    private static partial void LogCreated(ILogger logger, string networkId, string subnet, uint vni, string state);
}
