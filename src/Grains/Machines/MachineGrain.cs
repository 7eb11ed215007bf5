using CimiGrains.Credentials;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.Images;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Systems;
using CimiGrains.Volumes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// A Machine: a hosted resource (<see cref="HostedResourceGrain{TResource, TState, TLifecycle}"/> runs
/// every operation durably) whose lifecycle is <see cref="MachineTransitions"/>. What is the Machine's
/// own here: resolving its template, placing it on one host, capture, and how a host's observations
/// map to Machine states.
/// </summary>
public sealed partial class MachineGrain(
    [PersistentState("machine", "cimi")] IPersistentState<MachineGrainState> state,
    ResourceReadModel readModel,
    IOptions<PublicImageOptions> publicImages,
    ImageStoreDatabase store,
    IOptions<HostSchedulingOptions> scheduling,
    ILogger<MachineGrain> logger)
    : HostedResourceGrain<Machine, MachineGrainState, MachineStateName>(state, readModel, ResourceKind.Machine, scheduling.Value, logger),
        IMachineGrain, IHostedMachineGrain, INetworkInterfaceHolder, IVolumeHolder
{

    /// <summary>Operation parameters of a capture: the MachineImage written to, and its location.</summary>
    private const string CaptureImage = "captureImage", CaptureImageLocation = "captureImageLocation";

    public async Task<MachineOperationResult> Create(MachineCreate create, string jobLocalId, SystemMembership? system = null)
    {
        if (Hosted.Resource is not null) throw CimiException.Conflict($"Machine '{ResourceId}' already exists.");
        CommonValidation.Check(create);
        var template = create.MachineTemplate
            ?? throw CimiException.Invalid("MachineCreate needs a 'machineTemplate' (by reference, by value, or both).");
        var (spec, initial, configRef, imageRef, cpuArch, templateVolumes, volumeTemplates, templateInterfaces) = await ResolveAsync(template);
        var driver = ImageLocation.Parse(spec.ImageLocation).Driver;
        // The new Volumes are checked (and their ids chosen) before anything is stored or reserved.
        var newVolumes = await MachineVolumeTemplates.CheckAsync(GrainFactory, store, TenantId, volumeTemplates, driver,
            (templateVolumes ?? []).Select(v => v.InitialLocation));
        var (meterTemplates, eventLogTemplate) = await TemplateMonitoringOfAsync(template);
        var now = Now;
        var machine = new Machine
        {
            Id = ResourceId, Name = create.Name, Description = create.Description, Properties = create.Properties,
            Created = now, Updated = now, State = MachineStateName.CREATING,
            Cpu = spec.Cpu, Memory = spec.MemoryKiB, CpuArch = cpuArch, MachineImage = imageRef, MachineConfig = configRef,
        };
        // The template's Volumes are reserved before anything is stored: a refusal is the consumer's answer.
        var volumes = await ReserveTemplateVolumesAsync(templateVolumes, driver);
        // So are the interfaces' leases: a Network that cannot give an address is the 409 of the create.
        IReadOnlyList<MachineInterface> interfaces;
        try
        {
            interfaces = await LeaseTemplateInterfacesAsync(templateInterfaces);
        }
        catch
        {
            _leasingForCreate.Clear();
            _reservingForCreate.Clear();
            await ReleaseAllAsync(volumes);
            throw;
        }
        try
        {
            var accepted = await Accept(HostCommandKind.Create, MachineStateName.CREATING, jobLocalId, "add", force: false,
                "Creating the Machine: choosing a host.", setUp: s => (s.Resource, s.Spec, s.InitialState, s.Volumes, s.NewVolumes, s.NetworkInterfaces, s.System) =
                    (machine, spec, initial, volumes, newVolumes, interfaces, system), parentJobLocalId: system?.ParentJobLocalId);
            await CimiGrains.Grains.Meters.TemplateMeters.CreateAsync(GrainFactory, logger, TenantId, ResourceId, ResourceKind.Machine.TypeName, meterTemplates);
            await CimiGrains.Grains.Events.TemplateEventLogs.CreateAsync(GrainFactory, logger, TenantId, ResourceId, eventLogTemplate);
            return accepted;
        }
        catch when (Hosted.Resource is null)
        {
            await ReleaseAllAsync(volumes);
            await ReleaseInterfacesAsync(interfaces);
            throw;
        }
        finally
        {
            // Stored (the state says so from now on) or released (or left to the Network): no longer held in memory.
            _leasingForCreate.Clear();
            _reservingForCreate.Clear();
        }
    }

    public async Task<MachineOperationResult> Act(MachineAction action, bool force, string jobLocalId, string? parentJobLocalId = null)
    {
        var current = Existing().State!.Value;
        if (action == MachineAction.Capture)
            throw CimiException.Invalid("A capture is requested by POSTing a MachineImage whose 'imageLocation' is the Machine's id to the machineImages collection.");
        var next = MachineTransitions.TryEnter(current, action)
            ?? throw CimiException.Conflict($"The Machine is {current}; '{MachineTransitions.UriName(action)}' is not allowed in that state.");
        if (Hosted.Pending is { } pending
            && (pending.Outcome is not null || !(action == MachineAction.Stop && pending.Command == HostCommandKind.Stop)))
            throw CimiException.Conflict($"The Machine is {current} with another operation in progress; '{MachineTransitions.UriName(action)}' must wait.");

        // A Machine whose creation never reached a host is (re)created by start.
        var command = Hosted.HostId is null && action is MachineAction.Start or MachineAction.Restart
            ? HostCommandKind.Create
            : Enum.Parse<HostCommandKind>(action.ToString());
        return await Accept(command, next, jobLocalId, CimiUris.Action(MachineTransitions.UriName(action)), force,
            $"{action} requested.", setUp: s => { if (command == HostCommandKind.Create) s.InitialState = MachineStateName.STARTED; },
            parentJobLocalId: parentJobLocalId);
    }

    public async Task<MachineOperationResult> Delete(string jobLocalId, string? parentJobLocalId = null)
    {
        var machine = Existing();
        if (!MachineTransitions.CanDelete(machine.State!.Value))
            throw CimiException.Conflict($"The Machine is {machine.State}; 'delete' is not allowed in that state.");
        return await Accept(HostCommandKind.Delete, MachineStateName.DELETING, jobLocalId, "delete", force: true, "Deleting the Machine.",
            parentJobLocalId: parentJobLocalId);
    }

    /// <summary>The generic delete (<see cref="ICimiResourceGrain{TResource}"/>): the same, with a Job of its own.</summary>
    public override Task Delete() => Delete(Guid.NewGuid().ToString("N"));

    public async Task<MachineCaptureResult> Capture(MachineImage image, string imageLocalId, string jobLocalId)
    {
        var machine = Existing();
        await MachineImageGrain.CheckReferencesAsync(GrainFactory, TenantId, image, "relatedImage");
        var current = machine.State!.Value;
        if (MachineTransitions.TryEnter(current, MachineAction.Capture) is null)
            throw CimiException.Conflict($"The Machine is {current}; 'capture' is not allowed in that state.");
        if (Hosted.Pending is not null)
            throw CimiException.Conflict($"The Machine is {current} with another operation in progress; 'capture' must wait.");
        if (Hosted.HostId is null)
            throw CimiException.Conflict("The Machine has never been placed on a host; there is nothing to capture.");
        var location = MachineImageGrain.CaptureLocation(imageLocalId, ImageLocation.Parse(Hosted.Spec!.ImageLocation).Driver);
        var created = await GrainFactory.GetGrain<IMachineImageGrain>(GrainKeys.Of(TenantId, imageLocalId)).Create(image with
        {
            State = "CREATING", Type = image.Type ?? "IMAGE", ImageLocation = location, RelatedImage = image.RelatedImage ?? machine.MachineImage,
        });
        var result = await Accept(HostCommandKind.Capture, MachineStateName.CAPTURING, jobLocalId,
            CimiUris.Action(MachineTransitions.UriName(MachineAction.Capture)), force: false,
            $"Capturing the Machine into '{created.Id}'.", new Dictionary<string, string> { [CaptureImage] = imageLocalId, [CaptureImageLocation] = location });
        return new MachineCaptureResult(created, result.Job);
    }

    public async Task<string> ReadConsole(int maxBytes)
    {
        Existing();
        if (maxBytes is < 1 or > MachineConsole.MaxMaxBytes)
            throw CimiException.Invalid($"'{MachineConsole.MaxBytesParameter}' must be from 1 to {MachineConsole.MaxMaxBytes}, not {maxBytes}.");
        // The host the Machine is placed on (also while it is away: its agent may be back soon).
        if (Hosted.HostId is not { } hostId)
            throw CimiException.Conflict($"The Machine is {Hosted.Resource!.State} and has not been placed on a host yet, so it has no console.");
        return await GrainFactory.GetGrain<IHostGrain>(hostId).ReadConsole(this.GetPrimaryKeyString(), maxBytes);
    }

    private new async Task<MachineOperationResult> Accept(HostCommandKind command, MachineStateName transitional, string jobLocalId,
        string action, bool force, string message, IReadOnlyDictionary<string, string>? parameters = null, Action<MachineGrainState>? setUp = null,
        string? parentJobLocalId = null)
    {
        var (machine, job) = await base.Accept(command, transitional, jobLocalId, action, force, message, parameters, setUp, parentJobLocalId);
        return new MachineOperationResult(machine, job);
    }

    /// <summary>A create is placed on one host (checking its image again first); anything else goes to the Machine's host.</summary>
    protected override async Task<HostPlan> PlanAsync(PendingOperation<MachineStateName> pending)
    {
        if (pending.Command != HostCommandKind.Create) return await base.PlanAsync(pending);
        // Checked again at every (re)creation, so a Machine accepted before the rule, or whose capture was
        // released meanwhile, is never booted from an image the tenant may not name.
        if (await ImageLocations.RefusalAsync(GrainFactory, publicImages.Value, TenantId, Hosted.Spec!.ImageLocation, null) is { } refusal)
            return HostPlan.Fail(refusal);
        if (Hosted.HostId is { } placed)
            return await PrepareInterfacesAsync(placed) is { } unbound ? HostPlan.Fail(unbound) : HostPlan.On([placed]);
        var spec = Hosted.Spec!;
        // New Volumes first: where their placement puts them is where the Machine must go.
        if (await PrepareNewVolumesAsync(pending) is { } notYet) return notYet;
        // Volumes in a host's pool pin a container to that host; a VM goes there if it can, else it reaches them over
        // NBD from the host it is placed on (docs/VOLUMES.md).
        var driver = ImageLocation.Parse(spec.ImageLocation).Driver;
        var container = driver == Volumes.VolumeSharing.ContainerDriver;
        var volumeHosts = VolumeHosts();
        if (container && volumeHosts.Count > 1) return HostPlan.Fail(VolumesApart());
        var volumesHost = volumeHosts.Count > 0 ? volumeHosts[0] : null;
        var placement = await GrainFactory.GetGrain<IHostSchedulerGrain>(0)
            .Place(new PlacementRequest(this.GetPrimaryKeyString(), spec.Cpu, spec.MemoryKiB, driver, spec.DiskKiB,
                container ? volumesHost : null, Hosted.System?.PlacementGroup, Hosted.System?.PlacementPolicy, PreferredHostId: container ? null : volumesHost));
        // RetryAfter: the scheduler has just (re)started, or a host that would fit is reconnecting.
        if (placement.HostId is null)
            return placement.RetryAfter is { } wait ? HostPlan.Wait(placement.Reason, wait) : HostPlan.Fail($"No host is available: {placement.Reason}");
        if (!container && await ReserveOverNbdAsync(placement.HostId, driver) is { } unreachable) return HostPlan.Fail(unreachable);
        // The interfaces' Networks learn the host before it is asked to plug them.
        if (await PrepareInterfacesAsync(placement.HostId) is { } notBound) return HostPlan.Fail(notBound);
        return HostPlan.On([placement.HostId]);
    }

    protected override Machine Placed(Machine machine, IReadOnlyList<string> hostIds) => machine with { Host = hostIds[0] };

    /// <summary>Every command carries the spec with the Volumes and network interfaces the Machine has (so a create, or
    /// a re-create after a crash, keeps them); an attach or detach carries its Volume's attachment or its interface too.</summary>
    protected override HostCommand BuildCommand(PendingOperation<MachineStateName> pending, PendingHostCommand target) =>
        new(target.CommandId, this.GetPrimaryKeyString(), Hosted.Generation, pending.Command,
            Hosted.Spec! with
            {
                StartAfterCreate = Hosted.InitialState == MachineStateName.STARTED, Volumes = SpecVolumes(), NetworkInterfaces = SpecInterfaces(),
            },
            pending.Force, pending.Parameter(CaptureImageLocation),
            Attachment: pending.Parameter(VolumeParameter) is { } volume ? Find(volume)?.Attachment : null,
            NetworkInterface: PendingInterfaceSpec(pending));

    protected override MachineStateName LifecycleOf(Machine machine) => machine.State!.Value;

    protected override Machine WithLifecycle(Machine machine, MachineStateName lifecycle) => machine with { State = lifecycle };

    protected override MachineStateName SettledState(PendingOperation<MachineStateName> pending) =>
        pending.Command == HostCommandKind.Create ? Hosted.InitialState : MachineTransitions.Settled(Hosted.Resource!.State!.Value, pending.Before);

    protected override MachineStateName FailedState(PendingOperation<MachineStateName> pending, ObservedState? observed) => pending.Command switch
    {
        HostCommandKind.Create => MachineStateName.ERROR,
        // An attach or detach that failed leaves the Machine as it was; the Job says why.
        HostCommandKind.Delete or HostCommandKind.AttachVolume or HostCommandKind.DetachVolume
            or HostCommandKind.AttachNetworkInterface or HostCommandKind.DetachNetworkInterface => pending.Before,
        _ => observed is { } o ? FromObserved(o, pending.Before) : pending.Before,
    };

    /// <summary>
    /// Whether the host's inventory shows the pending operation done: the workload is in the state the
    /// operation settles in (a create's, from this very generation). A restart or a capture leaves no
    /// trace in the state, so those are always asked again.
    /// </summary>
    protected override bool ReachedOnHost(PendingOperation<MachineStateName> pending, long generation, ObservedState observed)
    {
        if (observed is ObservedState.Absent or ObservedState.Failed) return false;
        MachineStateName target;
        switch (pending.Command)
        {
            case HostCommandKind.Create when generation == Hosted.Generation:
                target = Hosted.InitialState;
                break;
            case HostCommandKind.Start or HostCommandKind.Stop or HostCommandKind.Pause or HostCommandKind.Suspend:
                target = MachineTransitions.Settled(Hosted.Resource!.State!.Value, pending.Before);
                break;
            default:
                return false;
        }
        return FromObserved(observed, target) == target;
    }

    /// <summary>
    /// The CIMI state for what the host sees. The docker driver has no suspend (no checkpoint/restore here), so a
    /// suspended Machine is a stopped container: seen stopped, a SUSPENDED Machine stays SUSPENDED.
    /// </summary>
    protected override MachineStateName FromObserved(ObservedState observed, MachineStateName current) => observed switch
    {
        ObservedState.Running => MachineStateName.STARTED,
        ObservedState.Paused => MachineStateName.PAUSED,
        ObservedState.Stopped or ObservedState.Created when current == MachineStateName.SUSPENDED => MachineStateName.SUSPENDED,
        ObservedState.Stopped or ObservedState.Created => MachineStateName.STOPPED,
        _ => MachineStateName.ERROR,
    };

    /// <summary>
    /// The MachineImage a capture was writing to, moved on as the operation ended: AVAILABLE when it
    /// succeeded, ERROR when it failed or was taken over. Nothing when the operation was no capture.
    /// </summary>
    protected override async Task<IReadOnlyList<ResourceRef>?> OnOperationEndedAsync(PendingOperation<MachineStateName> ended)
    {
        var volumes = await OnVolumesOperationEndedAsync(ended);
        var interfaces = await OnInterfacesOperationEndedAsync(ended);
        if (ended.Parameter(CaptureImage) is not { } imageLocalId) return volumes ?? interfaces;
        var grain = GrainFactory.GetGrain<IMachineImageGrain>(GrainKeys.Of(TenantId, imageLocalId));
        // The image may have been deleted meanwhile: then nothing.
        if (await grain.GetInternal() is not { } image) return null;
        var done = ended.Outcome is { Succeeded: true } outcome ? outcome : null;
        var updated = await grain.Update(image with
        {
            State = done is null ? "ERROR" : "AVAILABLE",
            ImageLocation = (done is null ? null : done.Result ?? ended.Parameter(CaptureImageLocation)) ?? image.ImageLocation,
        });
        return updated.Id is { } imageId ? [Self, new ResourceRef(imageId)] : null;
    }

    /// <summary>Only name, description and properties are the consumer's to change.</summary>
    protected override Task<Machine> ValidateAsync(Machine document)
    {
        CommonValidation.Check(document);
        return Task.FromResult(Existing() with
        {
            Name = document.Name, Description = document.Description, Properties = WithoutHostStatus(document.Properties),
        });
    }

    protected override Machine Public(Machine machine)
    {
        var current = machine.State!.Value;
        var operations = new List<Operation> { new("edit", ResourceId) };
        if (MachineTransitions.CanDelete(current)) operations.Add(new("delete", ResourceId));
        if (Hosted.Pending is null || current == MachineStateName.STOPPING)
        {
            foreach (var action in MachineTransitions.Allowed(current))
            {
                // Capture is done by POSTing a MachineImage to the machineImages collection.
                var href = action == MachineAction.Capture ? ResourceKind.MachineImage.CollectionSegment : ResourceId;
                operations.Add(new(CimiUris.Action(MachineTransitions.UriName(action)), href));
            }
        }
        // The console extension, once the Machine has a host to read it from (docs/CONSOLE.md).
        if (Hosted.HostId is not null) operations.Add(new(MachineConsole.OperationUri, $"{ResourceId}/{MachineConsole.Segment}"));
        return WithHostStatus(machine) with
        {
            Operations = operations,
            Disks = new ResourceRef(MachineVolumes.DisksOf(ResourceId)),
            Volumes = new ResourceRef(MachineVolumes.VolumesOf(ResourceId)),
            NetworkInterfaces = new ResourceRef(MachineNetworkInterfaces.Of(ResourceId)),
            Meters = new ResourceRef(CimiGrains.Meters.MeterRegistration.MetersOf(ResourceId)),
            EventLog = new ResourceRef(CimiGrains.Events.EventLogIds.ForResource(ResourceId)),
        };
    }

    private async Task<(MachineSpec Spec, MachineStateName Initial, ResourceRef? Config, ResourceRef? Image, string? CpuArch,
        IReadOnlyList<MachineTemplateVolume>? Volumes, IReadOnlyList<MachineTemplateVolumeTemplate>? VolumeTemplates,
        IReadOnlyList<MachineTemplateNetworkInterface>? NetworkInterfaces)> ResolveAsync(MachineTemplate given)
    {
        var template = await References.ResolveOrValueAsync<IMachineTemplateGrain, MachineTemplate>(
            GrainFactory, TenantId, ResourceKind.MachineTemplate, "machineTemplate", given, MachineTemplateGrain.Merge);
        await MachineTemplateGrain.CheckAsync(GrainFactory, TenantId, template! with { Href = null });

        var config = await References.ResolveOrValueAsync<IMachineConfigurationGrain, MachineConfiguration>(
            GrainFactory, TenantId, ResourceKind.MachineConfiguration, "machineTemplate.machineConfig", template!.MachineConfig,
            MachineConfigurationGrain.Merge)
            ?? throw CimiException.Invalid("The machine template has no 'machineConfig'.");
        MachineConfigurationGrain.Check(config, requireAll: true);
        var image = await References.ResolveOrValueAsync<IMachineImageGrain, MachineImage>(
            GrainFactory, TenantId, ResourceKind.MachineImage, "machineTemplate.machineImage", template.MachineImage,
            MachineImageGrain.Merge)
            ?? throw CimiException.Invalid("The machine template has no 'machineImage'.");
        MachineImageGrain.Check(image, requireAll: true);
        // The image as resolved (a reference, a value, or a reference with an overriding location) must
        // be one this tenant may boot, whatever was accepted when the MachineImage was stored.
        await ImageLocations.CheckAsync(GrainFactory, publicImages.Value, TenantId, image.ImageLocation!, ownImageLocalId: null);
        if (image.State is "CREATING" or "ERROR" or "DELETING")
            throw CimiException.Invalid($"MachineImage '{template.MachineImage!.Href}' is {image.State}, not AVAILABLE.");
        var credential = await References.ResolveOrValueAsync<ICredentialGrain, Credential>(
            GrainFactory, TenantId, ResourceKind.Credential, "machineTemplate.credential", template.Credential,
            (r, o) => r with { UserName = o.UserName ?? r.UserName, Password = o.Password ?? r.Password, Key = o.Key ?? r.Key });

        var initial = template.InitialState is { } s ? Enum.Parse<MachineStateName>(s) : MachineStateName.STARTED;
        var spec = new MachineSpec(image.ImageLocation!, config.Cpu!.Value, config.Memory!.Value,
            credential?.UserName, credential?.Password, credential?.Key, template.UserData, TenantId, StartAfterCreate: true,
            DiskKiB: config.Disks?.Sum(d => d.Capacity ?? 0) ?? 0,
            Disks: config.Disks is { Count: > 0 } disks ? [.. disks.Select(d => new DiskSpec(d.Capacity!.Value, d.Format, d.InitialLocation))] : null);
        ResourceRef? Ref(CimiResource? r) => r?.Href is { } h ? new ResourceRef(h) : null;
        return (spec, initial, Ref(template.MachineConfig), Ref(template.MachineImage), config.CpuArch, template.Volumes, template.VolumeTemplates,
            template.NetworkInterfaces);
    }
}
