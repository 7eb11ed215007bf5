using CimiGrains.Credentials;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Networks;
using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Systems;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Systems;

/// <summary>
/// How a System makes and deletes a member of each kind through the member's own grain, one row per kind: the saga
/// (<c>SystemGrain.Saga</c>) reads this table instead of switching on the kind. Machines, Volumes and nested Systems
/// get a Job nested in the System's; the others are made at once and have none. <see cref="Entry.RemovalStage"/> orders
/// a delete or rollback: a stage is asked once nothing of an earlier one stands, so what holds another (a Machine its
/// Volume and NetworkPort, a NetworkPort or reserved Address its Network) is gone before the other is asked.
/// </summary>
public static class SystemMemberGrains
{
    /// <summary>One kind: its create (grains, member key, plan, member, Job id, membership), its delete (grains, member key,
    /// Job id, parent Job id), and, for a kind whose create holds something on another grain before it stores itself, how
    /// to let go of that when the member was never stored (<see cref="Abandon"/>: grains, tenant, member key, plan, member).</summary>
    public sealed record Entry(SystemMemberKind Kind, int RemovalStage,
        Func<IGrainFactory, string, SystemPlan, PlannedMember, string, SystemMembership, Task> Create,
        Func<IGrainFactory, string, string, string, Task> Delete,
        Func<IGrainFactory, string, string, SystemPlan, PlannedMember, Task>? Abandon = null);

    public static readonly IReadOnlyList<Entry> All =
    [
        new(SystemMemberKind.Machine, 0,
            (g, key, plan, m, job, membership) => g.GetGrain<IMachineGrain>(key).Create(plan.MachineCreate(m), job, membership),
            (g, key, job, parent) => g.GetGrain<IMachineGrain>(key).Delete(job, parent)),
        // A nested System's Machines are placed by their own System, in a group of its own.
        new(SystemMemberKind.System, 0,
            (g, key, plan, m, job, membership) => g.GetGrain<ISystemGrain>(key).Create(plan.SystemCreate(m), job, membership with { PlacementGroup = null }),
            (g, key, job, parent) => g.GetGrain<ISystemGrain>(key).Delete(job, parent)),
        new(SystemMemberKind.Volume, 1,
            (g, key, plan, m, job, membership) => g.GetGrain<IVolumeGrain>(key).Create(plan.VolumeCreate(m), job, membership),
            (g, key, job, parent) => g.GetGrain<IVolumeGrain>(key).Delete(job, parent)),
        new(SystemMemberKind.Credential, 1,
            (g, key, plan, m, _, _) => g.GetGrain<ICredentialGrain>(key).CreateFrom(plan.CredentialCreate(m)),
            (g, key, _, _) => g.GetGrain<ICredentialGrain>(key).Delete()),
        new(SystemMemberKind.NetworkPort, 1,
            (g, key, plan, m, _, _) => g.GetGrain<INetworkPortGrain>(key).Create(plan.NetworkPortCreate(m)),
            (g, key, _, _) => g.GetGrain<INetworkPortGrain>(key).Delete(),
            // A port's Network counts it before the port stores itself: a crash in between leaves it counted, and its
            // Network would refuse its delete for ever.
            (g, tenant, key, plan, m) => LetGoOnNetworkAsync<INetworkPortTemplateGrain, NetworkPortTemplate>(g, tenant,
                NetworkPortTemplateRegistration.Type.Kind, "networkPortTemplate", plan.NetworkPortCreate(m).NetworkPortTemplate,
                NetworkPortTemplateGrain.Merge, t => t.Network, n => n.RemovePort(key))),
        new(SystemMemberKind.Address, 1,
            (g, key, plan, m, _, _) => g.GetGrain<IAddressGrain>(key).Create(plan.AddressCreate(m)),
            (g, key, _, _) => g.GetGrain<IAddressGrain>(key).Delete(),
            // The same for an Address's reservation on its Network.
            (g, tenant, key, plan, m) => LetGoOnNetworkAsync<IAddressTemplateGrain, AddressTemplate>(g, tenant,
                AddressTemplateRegistration.Type.Kind, "addressTemplate", plan.AddressCreate(m).AddressTemplate,
                AddressTemplateGrain.Merge, t => t.Network, n => n.ReleaseAddress(key))),
        // Either order works between a group and its Networks (a Network deleted leaves its group, a group deleted
        // unjoins its Networks); the group goes first so that its Networks are not told of each departure.
        new(SystemMemberKind.ForwardingGroup, 1,
            (g, key, plan, m, _, _) => g.GetGrain<IForwardingGroupGrain>(key).Create(plan.ForwardingGroupCreate(m)),
            (g, key, _, _) => g.GetGrain<IForwardingGroupGrain>(key).Delete()),
        // A Network refuses its delete while a port or a reserved Address is on it.
        new(SystemMemberKind.Network, 2,
            (g, key, plan, m, _, _) => g.GetGrain<INetworkGrain>(key).Create(plan.NetworkCreate(m)),
            (g, key, _, _) => g.GetGrain<INetworkGrain>(key).Delete()),
    ];

    public static Entry Of(SystemMemberKind kind) => All.First(e => e.Kind == kind);

    /// <summary>Resolves a member's template (by reference, value or both) and lets go of what the member holds on its Network.</summary>
    private static async Task LetGoOnNetworkAsync<TGrain, T>(IGrainFactory grains, string tenant, ResourceKind kind, string attribute, T? given,
        Func<T, T, T> merge, Func<T, ResourceRef?> networkOf, Func<INetworkGrain, Task> letGo)
        where TGrain : ICimiResourceGrain<T>
        where T : CimiResource
    {
        var template = await References.ResolveOrValueAsync<TGrain, T>(grains, tenant, kind, attribute, given, merge);
        if (template is not null && NetworkRegistration.Type.Kind.LocalIdOf(networkOf(template)?.Href) is { } localId)
            await letGo(grains.GetGrain<INetworkGrain>(GrainKeys.Of(tenant, localId)));
    }
}
