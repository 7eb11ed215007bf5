using CimiGrains.Machines;
using CimiGrains.Systems;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// The Machine as a member of a System: it keeps the System's key (given at create by the System that made it,
/// or by <see cref="JoinSystem"/>) and tells the System of every change of its state and of its deletion, so the
/// System's own state follows its Machines' without asking each of them.
/// </summary>
public sealed partial class MachineGrain
{
    public async Task<MachineStateName> JoinSystem(string? systemKey)
    {
        var machine = Existing();
        if (Hosted.System?.SystemKey == systemKey) return machine.State!.Value;
        if (systemKey is not null && Hosted.System is { } other)
            throw CimiException.Conflict($"Machine '{ResourceId}' is already a member of System '{SystemRegistration.Type.Kind.IdOf(GrainKeys.Split(other.SystemKey).LocalId)}'.");
        // A System that lets go of the Machine keeps no say in its placement either.
        await CommitAsync(s => s.System = systemKey is null ? null : new SystemMembership(systemKey, null));
        return machine.State!.Value;
    }

    protected override async Task OnCommittedAsync(MachineGrainState before, DomainEvent domainEvent)
    {
        if (domainEvent.Kind is not (DomainEventKind.StateChanged or DomainEventKind.Deleted)) return;
        if ((before.System ?? Hosted.System) is not { } membership) return;
        try
        {
            await GrainFactory.GetGrain<ISystemGrain>(membership.SystemKey).OnMemberChanged(ResourceId, domainEvent.NewState);
        }
        catch (Exception)
        {
            // One-way and best effort: the System reads its members' states again when it activates or acts.
        }
    }
}
