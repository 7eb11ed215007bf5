using CimiGrains.Grains.Common;
using CimiGrains.Grains.Machines;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Jobs;
using CimiGrains.Machines;
using CimiGrains.Systems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Systems;

/// <summary>
/// A System: not realized on a host itself, it makes, acts on and deletes its members through their own grains,
/// as a durable saga. Every operation is accepted in order: reminder, then state with the operation, then the
/// parent Job (owned by this grain), then the answer. A grain timer drives it (<c>.Saga</c>) and the reminder brings
/// it back after a crash; each step reads where the members stand from the read model (one query for all of
/// them) and asks only for what is missing, so a repeat after a crash never makes anything twice: the members'
/// ids and their Jobs' ids follow from the System's id and the operation's Job id. Members' states reach the
/// System through <see cref="OnMemberChanged"/> (<c>.Members</c>).
/// </summary>
public sealed partial class SystemGrain(
    [PersistentState("system", "cimi")] IPersistentState<SystemGrainState> state,
    ResourceReadModel readModel,
    IOptions<SystemOptions> options,
    ILogger<SystemGrain> logger)
    : CimiResourceGrain<SystemResource, SystemGrainState>(state, readModel, SystemRegistration.Type.Kind), ISystemGrain, IRemindable
{
    private const string OperationReminder = "system-operation";

    /// <summary>The longest a System's operation may take before it gives up (a 1,000-resource System included).</summary>
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(30);

    private static readonly TimeSpan RecoveryDelay = TimeSpan.FromMinutes(1);

    private SystemPlan? _plan;

    private SystemGrainState Saved => State.State;

    private string Key => this.GetPrimaryKeyString();

    private SystemPlan Plan => _plan ??= new SystemPlan(Saved.Template ?? new SystemTemplate(), LocalId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Saved.Resource is null) return;
        if (Saved.Operation is not null) StartDriving();
        else await TryAsync(RefreshMemberStatesAsync);
    }

    public override Task<SystemResource> Create(SystemResource document) =>
        throw CimiException.Invalid("A System is created from a SystemCreate document, and answered with a Job.");

    public async Task<SystemOperationResult> Create(SystemCreate create, string jobLocalId, SystemMembership? membership = null)
    {
        if (Saved.Resource is not null) throw CimiException.Conflict($"System '{ResourceId}' already exists.");
        CommonValidation.Check(create);
        var given = create.SystemTemplate ?? throw CimiException.Invalid("SystemCreate needs a 'systemTemplate' (by reference, by value, or both).");
        // The whole template is checked before anything is stored: a fault is the consumer's 400, and nothing is made.
        var expanded = await SystemTemplates.ExpandAsync(GrainFactory, ReadModel, TenantId, given);
        var plan = new SystemPlan(expanded.Template, LocalId);
        var meterTemplates = await Meters.TemplateMeters.ResolveAsync(GrainFactory, TenantId, SystemRegistration.Type.TypeName,
            expanded.Template.MeterTemplates, Meters.TemplateMeters.SamplingPeriod(ServiceProvider));
        var eventLogTemplate = await Events.TemplateEventLogs.ResolveAsync(GrainFactory, TenantId, expanded.Template.EventLogTemplate,
            Events.TemplateEventLogs.Retention(ServiceProvider));
        var now = Now;
        var system = new SystemResource
        {
            Id = ResourceId, Name = create.Name ?? expanded.Template.Name, Description = create.Description ?? expanded.Template.Description,
            Properties = create.Properties, Created = now, Updated = now, State = SystemStateName.CREATING,
            SystemTemplate = given.Href is { } href ? new ResourceRef(href) : null,
            PlacementPolicy = expanded.Template.PlacementPolicy ?? SystemPlacement.Spread,
        };
        var accepted = await Accept(new SystemOperation(SystemOperationKind.Create, jobLocalId, now), SystemStateName.CREATING, "add",
            $"Creating the System: {plan.Members.Count} resources in {plan.Waves} waves.", membership?.ParentJobLocalId, s =>
            {
                s.Resource = system;
                s.Template = expanded.Template;
                s.Membership = membership;
                s.Members = [.. plan.Members.Select(m => new SystemMemberRecord(m.Kind, m.LocalId, m.Component, Child: true))];
            });
        // As for a Machine: the Meters its template names are made once the System exists (checked above).
        await Meters.TemplateMeters.CreateAsync(GrainFactory, logger, TenantId, ResourceId, SystemRegistration.Type.TypeName, meterTemplates);
        await Events.TemplateEventLogs.CreateAsync(GrainFactory, logger, TenantId, ResourceId, eventLogTemplate);
        return accepted;
    }

    public async Task<SystemOperationResult> Act(MachineAction action, bool force, string jobLocalId, string? parentJobLocalId = null)
    {
        var system = Existing();
        if (!SystemRegistration.Actions.Contains(action))
            throw CimiException.Invalid($"'{action.ToString().ToLowerInvariant()}' is not a System action; use start, stop, restart, pause or suspend.");
        if (Saved.Operation is not null)
            throw CimiException.Conflict($"The System is {system.State} with another operation in progress; '{Name(action)}' must wait.");
        if (system.State == SystemStateName.ERROR)
            throw CimiException.Conflict($"The System is ERROR (its creation was rolled back); only 'delete' is allowed.");
        await TryAsync(RefreshMemberStatesAsync);
        // The members that can take it now; the others are left as they are (DSP0263: "that Machine is not affected").
        var targets = Saved.Members.Where(m => CanTake(m, action)).Select(m => Id(m)).ToList();
        return await Accept(new SystemOperation(SystemOperationKind.Act, jobLocalId, Now, action, force, Targets: targets),
            Transitional(action), CimiUris.Action(Name(action)),
            $"{action} requested for {targets.Count} of the System's {Saved.Members.Count(IsActing)} Machines and Systems.", parentJobLocalId);
    }

    public async Task<SystemOperationResult> Delete(string jobLocalId, string? parentJobLocalId = null)
    {
        var system = Existing();
        if (Saved.Operation is { Kind: SystemOperationKind.Delete })
            throw CimiException.Conflict("The System is DELETING already.");
        if (Saved.Operation is { } running)
        {
            // A delete takes over: the running operation's Job ends first, so that no Job is ever left open.
            await Job(running.JobLocalId).Finish(false, "Taken over by 'delete'.");
        }
        var children = Saved.Members.Count(m => m.Child);
        return await Accept(new SystemOperation(SystemOperationKind.Delete, jobLocalId, Now), SystemStateName.DELETING, "delete",
            $"Deleting the System: {children} resources it created, then itself.", parentJobLocalId);
    }

    /// <summary>The generic delete: the same, with a Job of its own.</summary>
    public override Task Delete() => Delete(Guid.NewGuid().ToString("N"));

    /// <summary>Name, description and properties are the consumer's; everything else is the System's.</summary>
    protected override Task<SystemResource> ValidateAsync(SystemResource document)
    {
        CommonValidation.Check(document);
        var current = Existing();
        return Task.FromResult(current with { Name = document.Name, Description = document.Description, Properties = document.Properties });
    }

    protected override string? StateOf(SystemResource resource) => resource.State?.ToString();

    protected override SystemResource Public(SystemResource resource)
    {
        var id = ResourceId;
        ResourceRef Collection(SystemMemberKind kind) => new(SystemMemberCollections.CollectionId(id, kind));
        var operations = new List<Operation> { new("edit", id), new("delete", id), new(SystemRegistration.Export.Uri, id) };
        if (Saved.Operation is null && resource.State != SystemStateName.ERROR)
        {
            foreach (var action in SystemRegistration.Actions)
            {
                if (Saved.Members.Any(m => CanTake(m, action))) operations.Add(new Operation(CimiUris.Action(Name(action)), id));
            }
        }
        return resource with
        {
            Systems = Collection(SystemMemberKind.System), Machines = Collection(SystemMemberKind.Machine),
            Credentials = Collection(SystemMemberKind.Credential), Volumes = Collection(SystemMemberKind.Volume),
            Networks = Collection(SystemMemberKind.Network), NetworkPorts = Collection(SystemMemberKind.NetworkPort),
            Addresses = Collection(SystemMemberKind.Address), ForwardingGroups = Collection(SystemMemberKind.ForwardingGroup),
            Operations = operations,
            Meters = new ResourceRef(CimiGrains.Meters.MeterRegistration.MetersOf(id)),
            EventLog = new ResourceRef(CimiGrains.Events.EventLogIds.ForResource(id)),
        };
    }

    /// <summary>
    /// Accepts an operation: the reminder first (it is what resumes the operation after a crash), then the System in
    /// <paramref name="transitional"/> with the operation, then its Job, which this grain finishes itself once the
    /// members' nested Jobs have run (<see cref="NestedJobFailure.Owner"/>).
    /// </summary>
    private async Task<SystemOperationResult> Accept(SystemOperation operation, SystemStateName transitional, string action, string message,
        string? parentJobLocalId, Action<SystemGrainState>? setUp = null)
    {
        await this.RegisterOrUpdateReminder(OperationReminder, RecoveryDelay, RecoveryDelay);
        var op = operation with { Principal = CimiRequestContext.Principal, RequestId = CimiRequestContext.RequestId };
        await CommitAsync(s =>
        {
            setUp?.Invoke(s);
            s.Operation = op;
            s.Resource = s.Resource! with { State = transitional, Updated = Now };
        });
        _plan = null;
        var job = await Job(op.JobLocalId).Begin(action, new ResourceRef(ResourceId), [new ResourceRef(ResourceId)], message,
            parentJobLocalId, NestedJobFailure.Owner);
        StartDriving();
        return new SystemOperationResult(Public(Saved.Resource!), job);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (Saved.Operation is null)
        {
            await StopReminder();
            return;
        }
        StartDriving();
    }

    /// <summary>A System made by another tells it when its own state changes, as a Machine does.</summary>
    protected override async Task OnCommittedAsync(SystemGrainState before, DomainEvent domainEvent)
    {
        if (domainEvent.Kind is not (DomainEventKind.StateChanged or DomainEventKind.Deleted)) return;
        if ((before.Membership ?? Saved.Membership) is not { } membership) return;
        await TryAsync(() => GrainFactory.GetGrain<ISystemGrain>(membership.SystemKey).OnMemberChanged(ResourceId, domainEvent.NewState));
    }

    private IJobGrain Job(string jobLocalId) => GrainFactory.GetGrain<IJobGrain>(GrainKeys.Of(TenantId, jobLocalId));

    private async Task StopReminder()
    {
        if (await this.GetReminder(OperationReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    private static string Name(MachineAction action) => action.ToString().ToLowerInvariant();

    private static SystemStateName Transitional(MachineAction action) => action switch
    {
        MachineAction.Start => SystemStateName.STARTING,
        MachineAction.Stop => SystemStateName.STOPPING,
        MachineAction.Restart => SystemStateName.STARTING,
        MachineAction.Pause => SystemStateName.PAUSING,
        MachineAction.Suspend => SystemStateName.SUSPENDING,
        _ => SystemStateName.MIXED,
    };

    private string Id(SystemMemberRecord m) => $"{SystemMemberCollections.Of(m.Kind).MemberSegment}/{m.LocalId}";

    private static bool IsActing(SystemMemberRecord m) => m.Kind is SystemMemberKind.Machine or SystemMemberKind.System;

    /// <summary>Whether the member is a Machine whose last known state lets it take <paramref name="action"/>, or a
    /// System (which passes it on to its own members).</summary>
    private static bool CanTake(SystemMemberRecord m, MachineAction action) => m.Kind switch
    {
        SystemMemberKind.Machine => m.State is { } s && Enum.TryParse<MachineStateName>(s, out var state) && MachineTransitions.TryEnter(state, action) is not null,
        SystemMemberKind.System => m.State is not (null or nameof(SystemStateName.ERROR) or nameof(SystemStateName.CREATING) or nameof(SystemStateName.DELETING)),
        _ => false,
    };
}
