using CimiGrains.Grains.Common;
using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.Images;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Systems;
using CimiGrains.Volumes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// A Volume: a hosted resource (<see cref="HostedResourceGrain{TResource, TState, TLifecycle}"/> runs create,
/// capture and delete durably) realized as a file in one host's volume pool, with the lifecycle of
/// <see cref="VolumeTransitions"/>. What is the Volume's own here: resolving its template, placing it by pool
/// room, and knowing where it is attached (<see cref="Reserve"/>, <see cref="Confirm"/>, <see cref="Release"/>,
/// by <see cref="VolumeSharing"/>'s rules), which blocks its deletion. Capture: <c>VolumeGrain.Capture.cs</c>.
/// </summary>
public sealed partial class VolumeGrain(
    [PersistentState("volume", "cimi")] IPersistentState<VolumeGrainState> state,
    ResourceReadModel readModel,
    ImageStoreDatabase store,
    IOptions<HostSchedulingOptions> scheduling,
    ILogger<VolumeGrain> logger)
    : HostedResourceGrain<Volume, VolumeGrainState, VolumeStateName>(state, readModel, VolumeRegistration.Type.Kind, scheduling.Value, logger),
        IVolumeGrain
{
    private const string CreatingMessage = "Creating the Volume: choosing a host with room in its volume pool.";

    public async Task<VolumeOperationResult> Create(VolumeCreate create, string jobLocalId, SystemMembership? system = null,
        string? parentJobLocalId = null)
    {
        var parent = parentJobLocalId ?? system?.ParentJobLocalId;
        if (Hosted.Resource is not null && Hosted.Pending is { Command: HostCommandKind.Create } creating && creating.JobLocalId == jobLocalId)
        {
            // The same create again: its caller repeats its step after a crash, which may have come between this
            // operation's write and its Job's. The Job is begun then, nested as asked; otherwise it is the first answer.
            var job = await Job(jobLocalId).GetInternal()
                ?? await Job(jobLocalId).Begin("add", Self, [Self], CreatingMessage, parent, NestedJobFailure.Owner);
            return new VolumeOperationResult(Public(Hosted.Resource), job);
        }
        if (Hosted.Resource is not null) throw CimiException.Conflict($"Volume '{ResourceId}' already exists.");
        CommonValidation.Check(create);
        var template = create.VolumeTemplate
            ?? throw CimiException.Invalid("VolumeCreate needs a 'volumeTemplate' (by reference, by value, or both).");
        // Everything is resolved and checked before anything is stored: a bad request leaves nothing behind.
        var (spec, type, configRef, imageRef, meterTemplates, eventLogTemplate) = await ResolveAsync(template);
        if (await GrainFactory.GetGrain<IHostSchedulerGrain>(0).LargestVolumePool() is { } largest && spec.CapacityKiB > largest.PoolKiB)
            throw CimiException.Invalid($"'capacity' {spec.CapacityKiB} KB is larger than any host's volume pool " +
                $"(the largest is host '{largest.HostId}' with {largest.PoolKiB} KiB).");
        var now = Now;
        var volume = new Volume
        {
            Id = ResourceId, Name = create.Name, Description = create.Description, Properties = create.Properties,
            Created = now, Updated = now, State = VolumeStateName.CREATING,
            Type = type, Capacity = spec.CapacityKiB, Bootable = spec.Bootable, Format = spec.Format,
        };
        LogResolved(logger, ResourceId, configRef ?? "by value", imageRef ?? "blank");
        // A VolumeImage named by reference is listed in the Volume's images; one given only by value is no resource.
        IReadOnlyList<string> images = VolumeImageRegistration.Type.Kind.LocalIdOf(imageRef) is { } imageLocalId ? [imageLocalId] : [];
        var accepted = await AcceptOperation(HostCommandKind.Create, VolumeStateName.CREATING, jobLocalId, "add",
            CreatingMessage, setUp: s => (s.Resource, s.Spec, s.Images) = (volume, spec, images), parentJobLocalId: parent);
        // As for a Machine: the Meters its template names are made once the Volume exists (checked above).
        await Meters.TemplateMeters.CreateAsync(GrainFactory, logger, TenantId, ResourceId, VolumeRegistration.Type.TypeName, meterTemplates);
        await Events.TemplateEventLogs.CreateAsync(GrainFactory, logger, TenantId, ResourceId, eventLogTemplate);
        return accepted;
    }

    public async Task<VolumeOperationResult> Delete(string jobLocalId, string? parentJobLocalId = null)
    {
        await Fresh();
        var volume = Existing();
        // A reservation nothing will confirm is not a user: dropped before the users are counted.
        await ExpireUnconfirmedAsync();
        if (Hosted.Attachments.Count > 0)
            throw CimiException.Conflict($"Volume '{ResourceId}' is attached to {string.Join(", ", Hosted.Attachments.Keys.Select(k => $"'{VolumeSharing.MachineRef(k)}'"))}; " +
                "detach it from every Machine before deleting it.");
        if (VolumeTransitions.TryEnter(volume.State!.Value, HostCommandKind.Delete) is not { } deleting)
            throw CimiException.Conflict($"The Volume is {volume.State}; 'delete' is not allowed in that state.");
        return await AcceptOperation(HostCommandKind.Delete, deleting, jobLocalId, "delete", "Deleting the Volume.", force: true,
            parentJobLocalId: parentJobLocalId);
    }

    /// <summary>The generic delete (<see cref="ICimiResourceGrain{TResource}"/>): the same, with a Job of its own.</summary>
    public override Task Delete() => Delete(Guid.NewGuid().ToString("N"));

    public async Task<VolumeAttachment> Reserve(string machineKey, VolumeUse use)
    {
        await Fresh();
        var volume = Existing();
        // Another tenant's Machine cannot see this Volume at all.
        if (GrainKeys.Split(machineKey).TenantId != TenantId) throw CimiException.NotFound($"Volume '{ResourceId}'");
        if (Hosted.Attachments.TryGetValue(machineKey, out var held)) return await ReserveAgainAsync(machineKey, held, use);
        if (string.IsNullOrWhiteSpace(use.Driver)) throw CimiException.Invalid("A Volume is attached for a Machine's driver (docker, qemu); none was given.");
        if (volume.State != VolumeStateName.AVAILABLE || Hosted.Pending is not null || Hosted.HostId is not { } hostId)
            throw CimiException.Conflict($"Volume '{ResourceId}' is {volume.State}, not AVAILABLE; it can be attached once it is.");
        // Reservations nothing will confirm must not keep this Machine out.
        if (VolumeSharing.Refusal(ResourceId, Hosted.Spec!.Format, hostId, Hosted.Attachments, machineKey, use) is not null)
            await ExpireUnconfirmedAsync();
        if (VolumeSharing.Refusal(ResourceId, Hosted.Spec!.Format, hostId, Hosted.Attachments, machineKey, use) is { } refusal)
            throw CimiException.Conflict(refusal);
        var answer = new VolumeAttachment(this.GetPrimaryKeyString(), use.InitialLocation, use.ReadOnly, Hosted.Spec.Format, Hosted.Spec.CapacityKiB, hostId);
        // Exported before the reservation is stored: a refusal (the host exports nothing) leaves nothing behind, and a
        // reservation that then fails to be stored only leaves an extra client, dropped at the export's next change.
        if (VolumeSharing.OverNbd(hostId, use)) answer = await ExportForAsync(machineKey, answer, hostId);
        var reservation = new VolumeReservation(use.Driver, use.HostId, use.ReadOnly, Confirmed: false, answer, Now);
        await CommitAsync(s => s.Attachments = new Dictionary<string, VolumeReservation>(s.Attachments) { [machineKey] = reservation });
        ScheduleExpiry();
        return answer;
    }

    /// <summary>
    /// The same Machine reserving again gets its first answer, except a VM that reserved before it had a host (a
    /// template's Volume, or one attached while unplaced) and was then placed on another host than the Volume's: it
    /// now needs the Volume over NBD, so it gets an export of its own, stored as its reservation.
    /// </summary>
    private async Task<VolumeAttachment> ReserveAgainAsync(string machineKey, VolumeReservation held, VolumeUse use)
    {
        if (held.MachineHostId is not null || use.HostId is null || held.Answer.NbdIdentity is not null
            || !VolumeSharing.OverNbd(held.Answer.HostId, use with { Driver = held.Driver }))
            return held.Answer;
        var answer = await ExportForAsync(machineKey, held.Answer, held.Answer.HostId);
        await CommitAsync(s => s.Attachments = new Dictionary<string, VolumeReservation>(s.Attachments)
        {
            [machineKey] = held with { MachineHostId = use.HostId, Answer = answer },
        });
        return answer;
    }

    public async Task Confirm(string machineKey)
    {
        await Fresh();
        Existing();
        if (!Hosted.Attachments.TryGetValue(machineKey, out var held))
            throw CimiException.Conflict($"Volume '{ResourceId}' holds no reservation for '{VolumeSharing.MachineRef(machineKey)}' to confirm; reserve it first.");
        if (held.Confirmed) return;
        await CommitAsync(s => s.Attachments = new Dictionary<string, VolumeReservation>(s.Attachments) { [machineKey] = held with { Confirmed = true } });
    }

    public async Task Release(string machineKey)
    {
        await Fresh();
        // Releasing a Volume that is gone, or was never reserved, is done already.
        if (Hosted.Resource is null || !Hosted.Attachments.TryGetValue(machineKey, out var released)) return;
        await DropReservationAsync(machineKey, released);
    }

    private async Task<VolumeOperationResult> AcceptOperation(HostCommandKind command, VolumeStateName transitional, string jobLocalId,
        string action, string message, bool force = false, IReadOnlyDictionary<string, string>? parameters = null, Action<VolumeGrainState>? setUp = null,
        string? parentJobLocalId = null)
    {
        var (volume, job) = await base.Accept(command, transitional, jobLocalId, action, force, message, parameters, setUp, parentJobLocalId);
        return new VolumeOperationResult(volume, job);
    }

    /// <summary>A create is placed in a pool with room; anything else goes to the Volume's host.</summary>
    protected override async Task<HostPlan> PlanAsync(PendingOperation<VolumeStateName> pending)
    {
        if (pending.Command != HostCommandKind.Create) return await base.PlanAsync(pending);
        // Checked again at every (re)creation: a VolumeImage released meanwhile must not seed the Volume.
        if (Hosted.Spec!.ImageLocation is { } location
            && await VolumeImages.RefusalAsync(GrainFactory, store, TenantId, location, ownImageLocalId: null) is { } refusal)
            return HostPlan.Fail(refusal);
        if (Hosted.HostId is { } placed) return HostPlan.On([placed]);
        var placement = await GrainFactory.GetGrain<IHostSchedulerGrain>(0).PlaceVolume(this.GetPrimaryKeyString(), Hosted.Spec.CapacityKiB);
        if (placement.HostId is null)
            return placement.RetryAfter is { } wait
                ? HostPlan.Wait(placement.Reason, wait)
                : HostPlan.Fail($"No host has room for the Volume ({Hosted.Spec.CapacityKiB} KiB): {placement.Reason}");
        return HostPlan.On([placement.HostId]);
    }

    protected override Volume Placed(Volume volume, IReadOnlyList<string> hostIds) => volume with { Host = hostIds[0] };

    protected override HostCommand BuildCommand(PendingOperation<VolumeStateName> pending, PendingHostCommand target) =>
        new(target.CommandId, this.GetPrimaryKeyString(), Hosted.Generation, pending.Command, Spec: null, pending.Force,
            pending.Parameter(CaptureImageLocation), HostedKind.Volume, Volume: Hosted.Spec);

    protected override VolumeStateName LifecycleOf(Volume volume) => volume.State!.Value;

    protected override Volume WithLifecycle(Volume volume, VolumeStateName lifecycle) => volume with { State = lifecycle };

    protected override VolumeStateName SettledState(PendingOperation<VolumeStateName> pending) => VolumeTransitions.Settled(pending.Command);

    protected override VolumeStateName FailedState(PendingOperation<VolumeStateName> pending, ObservedState? observed) =>
        VolumeTransitions.Failed(pending.Command, pending.Before);

    protected override VolumeStateName FromObserved(ObservedState observed, VolumeStateName current) => VolumeTransitions.FromObserved(observed);

    /// <summary>A create of this very generation whose file the host lists is done; a capture leaves no trace, so it is asked again.</summary>
    protected override bool ReachedOnHost(PendingOperation<VolumeStateName> pending, long generation, ObservedState observed) =>
        pending.Command == HostCommandKind.Create && generation == Hosted.Generation && observed is not (ObservedState.Absent or ObservedState.Failed);

    /// <summary>Only name, description and properties are the consumer's to change.</summary>
    protected override Task<Volume> ValidateAsync(Volume document)
    {
        CommonValidation.Check(document);
        return Task.FromResult(Existing() with
        {
            Name = document.Name, Description = document.Description, Properties = WithoutHostStatus(document.Properties),
        });
    }

    /// <summary>The Volume with where it is attached (from the reservations, so the read model shows it too) and its operations.</summary>
    protected override Volume Public(Volume volume)
    {
        var current = volume.State!.Value;
        var operations = new List<Operation> { new("edit", ResourceId) };
        if (VolumeTransitions.TryEnter(current, HostCommandKind.Delete) is not null && Hosted.Attachments.Count == 0)
            operations.Add(new("delete", ResourceId));
        // Capture is done by POSTing a VolumeImage to the volumeImages collection.
        if (Hosted.Pending is null && VolumeTransitions.TryEnter(current, HostCommandKind.Capture) is not null)
            operations.Add(new(CimiUris.Action("capture"), VolumeImageRegistration.Type.Kind.CollectionSegment));
        IReadOnlyList<ResourceRef>? attachedTo = Hosted.Attachments.Count == 0
            ? null
            : [.. Hosted.Attachments.Keys.Order(StringComparer.Ordinal).Select(k => new ResourceRef(VolumeSharing.MachineRef(k)))];
        return WithHostStatus(volume) with { Operations = operations, AttachedTo = attachedTo, Images = new ResourceRef(VolumeRegistration.ImagesOf(ResourceId)),
            Meters = new ResourceRef(CimiGrains.Meters.MeterRegistration.MetersOf(ResourceId)),
            EventLog = new ResourceRef(CimiGrains.Events.EventLogIds.ForResource(ResourceId)) };
    }

    private async Task<(VolumeSpec Spec, string Type, string? Config, string? Image, IReadOnlyList<CimiGrains.Meters.MeterTemplate> Meters,
        CimiGrains.Events.EventLogTemplate? EventLog)> ResolveAsync(
        VolumeTemplate given)
    {
        var template = await References.ResolveOrValueAsync<IVolumeTemplateGrain, VolumeTemplate>(
            GrainFactory, TenantId, VolumeTemplateRegistration.Type.Kind, "volumeTemplate", given, VolumeTemplateGrain.Merge);
        await VolumeTemplateGrain.CheckAsync(GrainFactory, store, TenantId, template! with { Href = null });
        var config = await References.ResolveOrValueAsync<IVolumeConfigurationGrain, VolumeConfiguration>(
            GrainFactory, TenantId, VolumeConfigurationRegistration.Type.Kind, "volumeTemplate.volumeConfig", template!.VolumeConfig,
            VolumeConfigurationGrain.Merge)
            ?? throw CimiException.Invalid("The volume template has no 'volumeConfig'.");
        VolumeConfigurationGrain.Check(config, requireAll: true);
        var image = await References.ResolveOrValueAsync<IVolumeImageGrain, VolumeImage>(
            GrainFactory, TenantId, VolumeImageRegistration.Type.Kind, "volumeTemplate.volumeImage", template.VolumeImage, VolumeImageGrain.Merge);
        if (image is not null)
        {
            VolumeImageGrain.Check(image, requireAll: true);
            if (image.State is { } imageState && imageState != "AVAILABLE")
                throw CimiException.Invalid($"VolumeImage '{template.VolumeImage!.Href}' is {imageState}, not AVAILABLE.");
            // The image as resolved (a reference, a value, or a reference with an overriding location) must be one
            // this tenant may name, whatever was accepted when the VolumeImage was stored.
            await VolumeImages.CheckAsync(GrainFactory, store, TenantId, image.ImageLocation!, ownImageLocalId: null);
        }
        var format = config.Format ?? VolumeFormats.Default;
        var spec = new VolumeSpec(config.Capacity!.Value, format, TenantId, image?.ImageLocation, image?.Bootable ?? false);
        var meters = await Meters.TemplateMeters.ResolveAsync(GrainFactory, TenantId, VolumeRegistration.Type.TypeName, template.MeterTemplates,
            Meters.TemplateMeters.SamplingPeriod(ServiceProvider));
        var eventLog = await Events.TemplateEventLogs.ResolveAsync(GrainFactory, TenantId, template.EventLogTemplate,
            Events.TemplateEventLogs.Retention(ServiceProvider));
        return (spec, config.Type ?? VolumeFormats.DefaultType(format), template.VolumeConfig?.Href, template.VolumeImage?.Href, meters, eventLog);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Volume {VolumeId}: configuration {Config}, initial content {Image}")]
    private static partial void LogResolved(ILogger logger, string volumeId, string config, string image);
}
