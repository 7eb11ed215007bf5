using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// A ForwardingGroup: its members and their subnets, which must not overlap. After each change it tells every member
/// the subnets it is routed to, one way (<see cref="INetworkGrain.SetForwarding"/>): a Network joining calls the group
/// from inside its own create, so the group must never wait on a Network.
/// </summary>
public sealed class ForwardingGroupGrain(
    [PersistentState("forwardingGroup", "cimi")] IPersistentState<ForwardingGroupState> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<ForwardingGroup, ForwardingGroupState>(state, readModel, ForwardingGroupRegistration.Type.Kind), IForwardingGroupGrain
{
    private string GroupKey => this.GetPrimaryKeyString();

    public override Task<ForwardingGroup> Create(ForwardingGroup document) =>
        throw CimiException.Invalid("A ForwardingGroup is created by POSTing a ForwardingGroupCreate (with a 'forwardingGroupTemplate').");

    public async Task<ForwardingGroup> Create(ForwardingGroupCreate create)
    {
        if (State.State.Resource is not null) throw CimiException.Conflict($"ForwardingGroup '{ResourceId}' already exists.");
        CommonValidation.Check(create);
        var given = create.ForwardingGroupTemplate
            ?? throw CimiException.Invalid("ForwardingGroupCreate needs a 'forwardingGroupTemplate' (by reference, by value, or both).");
        var template = await References.ResolveOrValueAsync<IForwardingGroupTemplateGrain, ForwardingGroupTemplate>(
            GrainFactory, TenantId, ForwardingGroupTemplateRegistration.Type.Kind, "forwardingGroupTemplate", given, ForwardingGroupTemplateGrain.Merge);
        var members = new Dictionary<string, string>();
        foreach (var href in ForwardingGroupTemplateGrain.Check(template!))
        {
            var network = await References.ResolveAsync<INetworkGrain, Network>(GrainFactory, TenantId, NetworkRegistration.Type.Kind,
                "forwardingGroupTemplate.networks", href);
            if (network.ForwardingGroup is { } other)
                throw CimiException.Conflict($"Network '{href}' is in ForwardingGroup '{other.Href}' already; a Network is in one at most.");
            members[GrainKeys.Of(TenantId, NetworkRegistration.Type.Kind.LocalIdOf(href)!)] = network.Subnet!;
        }
        CheckNoOverlap(members);
        var now = Now;
        var group = new ForwardingGroup
        {
            Id = ResourceId, Name = create.Name, Description = create.Description, Properties = create.Properties, Created = now, Updated = now,
        };
        await CommitAsync(s => (s.Resource, s.Members, s.Version) = (group, members, s.Version + 1));
        TellMembers(State.State.Members.Keys);
        return Public(State.State.Resource!);
    }

    public async Task<IReadOnlyList<string>> Join(string networkKey, string subnet)
    {
        Existing();
        if (GrainKeys.Split(networkKey).TenantId != TenantId) throw CimiException.NotFound($"ForwardingGroup '{ResourceId}'");
        if (!State.State.Members.ContainsKey(networkKey))
        {
            CheckNoOverlap(new Dictionary<string, string>(State.State.Members) { [networkKey] = subnet });
            await CommitAsync(s => (s.Members, s.Version) = (new Dictionary<string, string>(s.Members) { [networkKey] = subnet }, s.Version + 1));
            // The joining Network is answered directly; the others hear of it one way.
            TellMembers(State.State.Members.Keys.Where(k => k != networkKey));
        }
        return RoutedFor(networkKey);
    }

    public async Task Leave(string networkKey)
    {
        if (State.State.Resource is null || !State.State.Members.ContainsKey(networkKey)) return;
        await CommitAsync(s => (s.Members, s.Version) = (s.Members.Where(m => m.Key != networkKey).ToDictionary(m => m.Key, m => m.Value), s.Version + 1));
        TellMembers(State.State.Members.Keys);
    }

    /// <summary>Deleting the group unjoins its Networks: each is told it is in none any more.</summary>
    public override async Task Delete()
    {
        Existing();
        var members = State.State.Members.Keys.ToList();
        var version = State.State.Version + 1;
        await RemoveAsync();
        foreach (var member in members) _ = GrainFactory.GetGrain<INetworkGrain>(member).SetForwarding(GroupKey, false, [], version);
    }

    protected override Task<ForwardingGroup> ValidateAsync(ForwardingGroup document)
    {
        CommonValidation.Check(document);
        return Task.FromResult(Existing() with { Name = document.Name, Description = document.Description, Properties = document.Properties });
    }

    protected override ForwardingGroup Public(ForwardingGroup group) => group with
    {
        Networks = [.. State.State.Members.Keys.Select(k => new ResourceRef(NetworkRegistration.Type.Kind.IdOf(GrainKeys.Split(k).LocalId)))
            .OrderBy(r => r.Href, StringComparer.Ordinal)],
        Operations = [new("edit", ResourceId), new("delete", ResourceId)],
    };

    private IReadOnlyList<string> RoutedFor(string networkKey) =>
        [.. State.State.Members.Where(m => m.Key != networkKey).Select(m => m.Value).Order(StringComparer.Ordinal)];

    /// <summary>One-way: the group never waits on a member (a member may be waiting on it).</summary>
    private void TellMembers(IEnumerable<string> networkKeys)
    {
        foreach (var member in networkKeys.ToList())
            _ = GrainFactory.GetGrain<INetworkGrain>(member).SetForwarding(GroupKey, true, RoutedFor(member), State.State.Version);
    }

    private static void CheckNoOverlap(IReadOnlyDictionary<string, string> members)
    {
        var parsed = members.Select(m => (m.Key, Subnet: Ipv4Subnet.Parse(m.Value, "subnet"))).OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < parsed.Count; i++)
        {
            for (var j = i + 1; j < parsed.Count; j++)
            {
                if (parsed[i].Subnet.Overlaps(parsed[j].Subnet))
                    throw CimiException.Conflict($"Network '{NetworkRef(parsed[i].Key)}' ({parsed[i].Subnet}) and Network '{NetworkRef(parsed[j].Key)}' " +
                        $"({parsed[j].Subnet}) have overlapping subnets; a ForwardingGroup routes between them only when they do not overlap.");
            }
        }
    }

    private static string NetworkRef(string key) => NetworkRegistration.Type.Kind.IdOf(GrainKeys.Split(key).LocalId);
}
