using System.Text.Json;
using CimiGrains.Machines;
using CimiGrains.Systems;

namespace CimiGrains.Grains.Systems;

/// <summary>
/// The System's members: its collections, adding and removing associated members, and its state as its
/// Machines' and nested Systems' states stand (DSP0263: the members' common state, else MIXED).
/// </summary>
public sealed partial class SystemGrain
{
    public async Task<IReadOnlyList<CimiResource>> GetMembers(SystemMemberKind kind)
    {
        Existing();
        var members = Saved.Members.Where(m => m.Kind == kind).ToList();
        // Only what stands: a create still on its way, or a member deleted on its own, is not listed.
        var rows = await ReadAsync(members.Select(Id));
        return [.. members.Where(m => rows.ContainsKey(Id(m)))
            .Select(m => SystemMemberCollections.Item(ResourceId, kind, Id(m), m.Component, m.Child))];
    }

    public async Task<CimiResource> AddMember(SystemMemberKind kind, ResourceRef member)
    {
        var system = Existing();
        if (Saved.Operation is not null)
            throw CimiException.Conflict($"The System is {system.State} with an operation in progress; members are added once it ends.");
        var collection = SystemMemberCollections.Of(kind);
        if (SystemMemberCollections.MemberOf(member.Href) is not { } named || named.Collection.Kind != kind)
            throw CimiException.Invalid($"'{collection.ItemType}' must name a {kind} (…/{collection.MemberSegment}/<id>), not '{member.Href}'.");
        if (named.LocalId == LocalId) throw CimiException.Invalid("A System cannot be a member of itself.");
        var memberId = $"{collection.MemberSegment}/{named.LocalId}";
        if (Saved.Members.Any(m => m.Kind == kind && m.LocalId == named.LocalId))
            throw CimiException.Conflict($"'{memberId}' is a member of the System already.");
        // Same tenant by construction: the row is looked up under the caller's tenant, so another tenant's id is not found.
        var rows = await ReadAsync([memberId]);
        if (!rows.TryGetValue(memberId, out var row)) throw CimiException.NotFound($"{kind} '{memberId}'");
        var state = row.State;
        var key = GrainKeys.Of(TenantId, named.LocalId);
        if (kind == SystemMemberKind.Machine)
            state = (await GrainFactory.GetGrain<IMachineGrain>(key).JoinSystem(Key)).ToString();
        else if (kind == SystemMemberKind.System && await IsAncestorOrSelfAsync(key))
            throw CimiException.Invalid($"System '{memberId}' holds this System; adding it would make a cycle.");
        await CommitAsync(s =>
        {
            s.Members = [.. s.Members, new SystemMemberRecord(kind, named.LocalId, null, Child: false, state)];
            s.Resource = s.Resource! with { State = Aggregate(s.Members), Updated = Now };
        });
        return SystemMemberCollections.Item(ResourceId, kind, memberId, null, child: false);
    }

    public async Task RemoveMember(SystemMemberKind kind, string memberLocalId)
    {
        var system = Existing();
        var member = Saved.Members.FirstOrDefault(m => m.Kind == kind && m.LocalId == memberLocalId)
            ?? throw CimiException.NotFound($"{SystemMemberCollections.Of(kind).ItemType} '{SystemMemberCollections.CollectionId(ResourceId, kind)}/{memberLocalId}'");
        if (Saved.Operation is not null)
            throw CimiException.Conflict($"The System is {system.State} with an operation in progress; members are removed once it ends.");
        if (kind == SystemMemberKind.Machine)
        {
            try
            {
                await GrainFactory.GetGrain<IMachineGrain>(GrainKeys.Of(TenantId, memberLocalId)).JoinSystem(null);
            }
            catch (CimiException e) when (e.Kind == CimiErrorKind.NotFound)
            {
                // Deleted on its own already.
            }
        }
        // A child taken out is the consumer's from now on: deleting the System no longer deletes it.
        await CommitAsync(s =>
        {
            s.Members = [.. s.Members.Where(m => m != member)];
            s.Resource = s.Resource! with { State = Saved.Operation is null ? Aggregate(s.Members) : s.Resource!.State, Updated = Now };
        });
    }

    public async Task OnMemberChanged(string memberId, string? state)
    {
        if (Saved.Resource is null || SystemMemberCollections.MemberOf(memberId) is not { } named) return;
        var member = Saved.Members.FirstOrDefault(m => m.Kind == named.Collection.Kind && m.LocalId == named.LocalId);
        if (member is null || member.State == state) return;
        // While an operation runs the System shows its transitional state; the members' states are taken as they come
        // and stored when it ends. A member gone on its own (state null) is let go of.
        var members = state is null && Saved.Operation is null
            ? Saved.Members.Where(m => m != member).ToList()
            : Saved.Members.Select(m => m == member ? m with { State = state } : m).ToList();
        if (Saved.Operation is not null)
        {
            Saved.Members = members;
            return;
        }
        await CommitAsync(s =>
        {
            s.Members = members;
            s.Resource = s.Resource! with { State = Aggregate(members) };
        });
    }

    /// <summary>Reads every Machine and System member's state from the read model (one query) and settles the
    /// System's state on it when no operation runs: after an activation, notices lost on the way are caught up.</summary>
    private async Task RefreshMemberStatesAsync()
    {
        var acting = Saved.Members.Where(IsActing).ToList();
        if (acting.Count == 0 && Saved.Operation is not null) return;
        var rows = await ReadAsync(acting.Select(Id));
        var members = Saved.Members
            .Where(m => !IsActing(m) || rows.ContainsKey(Id(m)) || Saved.Operation is not null)
            .Select(m => IsActing(m) && rows.TryGetValue(Id(m), out var row) ? m with { State = row.State } : m)
            .ToList();
        if (Saved.Operation is not null)
        {
            Saved.Members = members;
            return;
        }
        var aggregate = Saved.Resource!.State == SystemStateName.ERROR ? SystemStateName.ERROR : Aggregate(members);
        if (members.SequenceEqual(Saved.Members) && aggregate == Saved.Resource!.State) return;
        await CommitAsync(s =>
        {
            s.Members = members;
            s.Resource = s.Resource! with { State = aggregate };
        });
    }

    /// <summary>The members' common state when every Machine and nested System is in the same one (and it is a
    /// System state), else MIXED, also when there are none (DSP0263 2.0 Table 9).</summary>
    private static SystemStateName Aggregate(IReadOnlyList<SystemMemberRecord> members)
    {
        var states = members.Where(IsActing).Select(m => m.State).Distinct().ToList();
        return states is [{ } only] && Enum.TryParse<SystemStateName>(only, out var common) ? common : SystemStateName.MIXED;
    }

    /// <summary>Whether System <paramref name="candidateKey"/> is this System or holds it among its members, at any depth.</summary>
    private async Task<bool> IsAncestorOrSelfAsync(string candidateKey, int depth = 0)
    {
        if (candidateKey == Key) return true;
        if (depth > 2 * SystemComponents.MaxDepth) return false;
        foreach (var item in await GrainFactory.GetGrain<ISystemGrain>(candidateKey).GetMembers(SystemMemberKind.System))
        {
            if (item is SystemSystem { System.Href: { } href } && SystemMemberCollections.MemberOf(href) is { } held
                && await IsAncestorOrSelfAsync(GrainKeys.Of(TenantId, held.LocalId), depth + 1))
                return true;
        }
        return false;
    }
}
