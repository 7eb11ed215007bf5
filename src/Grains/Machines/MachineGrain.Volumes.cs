using CimiGrains.Grains.Common;
using CimiGrains.Hosts;
using CimiGrains.Machines;
using CimiGrains.Volumes;
using Microsoft.Extensions.Logging;
using static CimiGrains.Grains.Machines.MachineAttachmentStatus;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// The Machine's <c>disks</c> and <c>volumes</c> collections, and attaching and detaching Volumes as
/// operations of the Machine (docs/VOLUMES.md "Attaching"). An attach is reserved with the Volume before it
/// is accepted (so the Volume's refusal is the consumer's 409), then runs as a pending operation of the
/// hosted base (AttachVolume to the Machine's host, fenced and re-sent like any other), and ends by telling
/// the Volume: <see cref="IVolumeGrain.Confirm"/> when the host attached it, <see cref="IVolumeGrain.Release"/>
/// when it did not. The Machine's own state does not change.
/// </summary>
public sealed partial class MachineGrain
{
    /// <summary>Operation parameter of an attach or detach: the Volume's local id.</summary>
    private const string VolumeParameter = "volume";

    /// <summary>How long a reservation that could not be released waits before it is tried again.</summary>
    private static readonly TimeSpan ReleaseRetry = TimeSpan.FromSeconds(2);

    /// <summary>An activation after a crash releases the reservations and leases nothing carries on (see <see cref="Stranded"/>).</summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Hosted.Resource is not null && Stranded().Count > 0) ScheduleStrandedRelease(TimeSpan.Zero);
        if (Hosted.Resource is not null && Hosted.Volumes.Any(v => v.Status == Undoing)) ScheduleUndo();
        if (Hosted.Resource is not null && StrandedInterfaces().Count > 0) ScheduleStrandedInterfaceRelease(TimeSpan.Zero);
    }

    public Task<IReadOnlyList<MachineDisk>> GetDisks()
    {
        Existing();
        var disks = Hosted.Spec?.Disks ?? [];
        return Task.FromResult<IReadOnlyList<MachineDisk>>([.. disks.Select((d, i) => new MachineDisk
        {
            Id = $"{MachineVolumes.DisksOf(ResourceId)}/{i}", Capacity = d.CapacityKiB, InitialLocation = d.InitialLocation,
        })]);
    }

    public Task<IReadOnlyList<MachineVolume>> GetVolumes()
    {
        Existing();
        // A reservation still being asked for is not yet an attachment of the Machine.
        return Task.FromResult<IReadOnlyList<MachineVolume>>([.. Hosted.Volumes.Where(v => v.Status != Reserving).Select(ToMachineVolume)]);
    }

    public async Task<MachineVolumeOperationResult> AttachVolume(MachineVolume attachment, string jobLocalId)
    {
        await Fresh();
        var machine = Existing();
        CommonValidation.Check(attachment);
        var href = attachment.Volume?.Href
            ?? throw CimiException.Invalid($"A MachineVolume needs 'volume', a reference to the Volume to attach (…/{MachineVolumes.VolumeCollectionSegment}/<id>).");
        var volumeLocalId = MachineVolumes.VolumeLocalIdOf(href)
            ?? throw CimiException.Invalid($"'volume' must reference a Volume (…/{MachineVolumes.VolumeCollectionSegment}/<id>), not '{href}'.");
        var driver = ImageLocation.Parse(Hosted.Spec!.ImageLocation).Driver;
        var location = MachineVolumeRules.CheckInitialLocation(attachment.InitialLocation, driver);
        var readOnly = MachineVolumeRules.ReadOnly(attachment.Properties);
        var volume = Volume(volumeLocalId);
        // Another tenant's Volume is a different key, so it is as absent as one that never existed.
        if (await volume.GetInternal() is null) throw CimiException.NotFound($"Volume '{href}'");

        var current = machine.State!.Value;
        if (MachineTransitions.IsTransitional(current) || Hosted.Pending is not null)
            throw CimiException.Conflict($"The Machine is {current}{(Hosted.Pending is null ? "" : " with another operation in progress")}; attaching a Volume must wait until it is settled.");
        if (Hosted.Volumes.FirstOrDefault(v => v.VolumeLocalId == volumeLocalId) is { } same)
            throw CimiException.Conflict($"Volume '{href}' is already attached to this Machine ({Describe(same)}).");
        if (location is not null && Hosted.Volumes.FirstOrDefault(v => v.InitialLocation == location) is { } taken)
            throw CimiException.Conflict($"'initialLocation' '{location}' is taken by Volume '{VolumeHref(taken.VolumeLocalId)}' on this Machine.");

        // The intent is durable before the Volume is asked: a crash from here on leaves an entry the next
        // activation releases, never a reservation nobody knows of.
        var entry = new MachineAttachment(volumeLocalId, location, readOnly, Reserving, null, Now);
        // And the grain comes back by itself after a crash, to release it, without waiting for a request.
        await RegisterPendingReminderAsync();
        await CommitAsync(s => s.Volumes = [.. s.Volumes, entry]);
        VolumeAttachment reserved;
        try
        {
            reserved = await volume.Reserve(this.GetPrimaryKeyString(), new VolumeUse(driver, Hosted.HostId, location, readOnly));
        }
        catch (CimiException)
        {
            // The Volume said no (409 naming why, or it is gone): nothing was reserved, nothing stays.
            try
            {
                await CommitAsync(s => s.Volumes = Without(s.Volumes, volumeLocalId));
            }
            catch
            {
                ScheduleStrandedRelease(ReleaseRetry);
            }
            throw;
        }
        catch
        {
            // The answer was lost (the Volume's silo went away): it may hold the reservation, so it is released.
            ScheduleStrandedRelease(TimeSpan.Zero);
            throw;
        }

        try
        {
            if (Hosted.HostId is null) return await AttachUnplacedAsync(entry with { Status = Attached, Attachment = reserved }, jobLocalId);
            var (_, job) = await base.Accept(HostCommandKind.AttachVolume, current, jobLocalId, "add", force: false,
                $"Attaching Volume '{href}'{At(location)}.", new Dictionary<string, string> { [VolumeParameter] = volumeLocalId },
                setUp: s => s.Volumes = With(s.Volumes, entry with { Status = Attaching, Attachment = reserved }));
            return new MachineVolumeOperationResult(ToMachineVolume(Find(volumeLocalId)!), job);
        }
        catch
        {
            // Not accepted: the reservation is given up again.
            ScheduleStrandedRelease(TimeSpan.Zero);
            throw;
        }
    }

    /// <summary>
    /// Reserves a new Machine's template Volumes (the Machine has no host yet: a Volume that pins it says
    /// where, and the create is placed there). On any refusal the ones already reserved are released and
    /// the refusal is the answer, so a Machine that is not stored holds nothing.
    /// </summary>
    private async Task<IReadOnlyList<MachineAttachment>> ReserveTemplateVolumesAsync(IReadOnlyList<MachineTemplateVolume>? volumes, string driver)
    {
        var wanted = await MachineTemplateGrain.CheckVolumesAsync(GrainFactory, TenantId, volumes, driver);
        var reserved = new List<MachineAttachment>();
        try
        {
            foreach (var (localId, location) in wanted)
            {
                // Held from before the call: the Volume may ask about it before the answer is back.
                _reservingForCreate.Add(localId);
                VolumeAttachment answer;
                try
                {
                    answer = await Volume(localId).Reserve(this.GetPrimaryKeyString(), new VolumeUse(driver, null, location, ReadOnly: false));
                }
                catch (CimiException e) when (e.Kind == CimiErrorKind.NotFound)
                {
                    throw CimiException.MissingReference($"'machineTemplate.volumes' references Volume '{VolumeHref(localId)}', which does not exist.");
                }
                reserved.Add(new MachineAttachment(localId, location, false, Attached, answer, Now));
            }
            // A VM reaches Volumes of other hosts over NBD once it is placed; a container only mounts its own host's.
            var hosts = reserved.Where(r => r.Attachment!.NbdAddress is null).Select(r => r.Attachment!.HostId).Distinct(StringComparer.Ordinal).ToList();
            if (hosts.Count > 1 && driver == Volumes.VolumeSharing.ContainerDriver)
                throw CimiException.Conflict($"The template's Volumes are on different hosts ({string.Join(", ", reserved.Select(r => $"'{VolumeHref(r.VolumeLocalId)}' on '{r.Attachment!.HostId}'"))}); " +
                    "a container can use only Volumes of the host it runs on.");
            return reserved;
        }
        catch
        {
            _reservingForCreate.Clear();
            await ReleaseAllAsync(reserved);
            throw;
        }
    }

    /// <summary>Volumes a create in progress has reserved (or is reserving) and not stored yet: held, though only in
    /// memory. A crash forgets them, and then their reservations are rightly the Volume's to drop.</summary>
    private readonly HashSet<string> _reservingForCreate = new(StringComparer.Ordinal);

    /// <summary>Answers a Volume checking a reservation it holds unconfirmed (interleaved, so it reads only what this
    /// activation holds): a Machine that is not stored holds nothing. An entry in any status holds it (a stranded one
    /// is this Machine's to release, and its activation does). An activation unsure of its durable state (a failed
    /// write) says it holds it: the Volume keeps the reservation and asks again later.</summary>
    public Task<bool> HoldsVolume(string volumeKey) => Task.FromResult(
        IsStale
        || (GrainKeys.Split(volumeKey) is var (tenantId, localId) && tenantId == TenantId
            && (_reservingForCreate.Contains(localId) || (Hosted.Resource is not null && Find(localId) is not null))));

    /// <summary>Gives up reservations of a Machine that was not stored (best effort: the answer is the refusal).</summary>
    private async Task ReleaseAllAsync(IReadOnlyList<MachineAttachment> volumes)
    {
        foreach (var volume in volumes)
        {
            try
            {
                await Volume(volume.VolumeLocalId).Release(this.GetPrimaryKeyString());
            }
            catch (Exception e)
            {
                LogReleaseRetried(logger, ResourceId, e.Message);
            }
        }
    }

    /// <summary>A Machine never placed on a host has no workload to attach to: the attachment is recorded,
    /// and its next create (start) carries it, placed on the Volume's host when it pins the Machine.</summary>
    private async Task<MachineVolumeOperationResult> AttachUnplacedAsync(MachineAttachment attached, string jobLocalId)
    {
        await CommitAsync(s => s.Volumes = With(s.Volumes, attached));
        var job = Job(jobLocalId);
        var href = VolumeHref(attached.VolumeLocalId);
        await job.Begin("add", Self, [Self, new ResourceRef(href)], $"Attaching Volume '{href}'.");
        await job.Finish(true, $"Volume '{href}' is attached{At(attached.InitialLocation)}; the Machine has no host yet, so it is there from its next start.",
            [Self, new ResourceRef(href)]);
        return new MachineVolumeOperationResult(ToMachineVolume(attached), await job.Get());
    }

    public async Task<MachineVolumeOperationResult> DetachVolume(string volumeLocalId, string jobLocalId)
    {
        await Fresh();
        var machine = Existing();
        var id = MachineVolumes.MachineVolumeId(ResourceId, volumeLocalId);
        var entry = Find(volumeLocalId) is { Status: not Reserving } found ? found : throw CimiException.NotFound($"MachineVolume '{id}'");
        if (entry.Status != Attached) throw CimiException.Conflict($"MachineVolume '{id}' is {StatusName(entry.Status)}; detaching it must wait.");
        var current = machine.State!.Value;
        if (MachineTransitions.IsTransitional(current) || Hosted.Pending is not null)
            throw CimiException.Conflict($"The Machine is {current}{(Hosted.Pending is null ? "" : " with another operation in progress")}; detaching a Volume must wait until it is settled.");
        var href = VolumeHref(volumeLocalId);
        if (Hosted.HostId is null)
        {
            var job = Job(jobLocalId);
            await job.Begin("delete", Self, [Self, new ResourceRef(href)], $"Detaching Volume '{href}'.");
            // Detaching is durable before the Volume is told, so a crash in between still releases it (the reminder
            // brings the Machine back for that without a request).
            await RegisterPendingReminderAsync();
            await CommitAsync(s => s.Volumes = With(s.Volumes, entry with { Status = Detaching }));
            var detaching = ToMachineVolume(Find(volumeLocalId)!);
            await ReleaseAsync(volumeLocalId);
            await job.Finish(true, $"Volume '{href}' is detached.", [Self, new ResourceRef(href)]);
            return new MachineVolumeOperationResult(detaching, await job.Get());
        }
        var (_, accepted) = await base.Accept(HostCommandKind.DetachVolume, current, jobLocalId, "delete", force: false,
            $"Detaching Volume '{href}'.", new Dictionary<string, string> { [VolumeParameter] = volumeLocalId },
            setUp: s => s.Volumes = With(s.Volumes, entry with { Status = Detaching }));
        return new MachineVolumeOperationResult(ToMachineVolume(Find(volumeLocalId)!), accepted);
    }

    /// <summary>
    /// What an attach, a detach, a create or a delete leaves to be told to the Volumes as it ends (also
    /// when it was taken over, and again after a crash: every call here is idempotent). Returns the
    /// resources the Job affected besides the Machine, or null when the operation touched no Volume.
    /// </summary>
    private async Task<IReadOnlyList<ResourceRef>?> OnVolumesOperationEndedAsync(PendingOperation<MachineStateName> ended)
    {
        var succeeded = ended.Outcome is { Succeeded: true };
        // An undo that waited for this operation starts once it has settled.
        if (Hosted.Volumes.Any(v => v.Status == Undoing)) ScheduleUndo();
        // So does attaching again what the host lost (MachineGrain.VolumeInventory.cs).
        if (_lostOnHost.Count > 0) ScheduleReattach();
        switch (ended.Command)
        {
            case HostCommandKind.AttachVolume when ended.Parameter(VolumeParameter) is { } attached:
                if (Find(attached) is not { } entry) return null;
                if (succeeded)
                {
                    await ConfirmAsync(attached);
                    if (entry.Status != Attached) await CommitAsync(s => s.Volumes = With(s.Volumes, entry with { Status = Attached }));
                    return [Self, new ResourceRef(VolumeHref(attached))];
                }
                // The host never answered (it went away, or the operation timed out): it may have attached the Volume
                // all the same (an agent keeps what it recorded across a restart). It is detached there before the
                // Volume is released, so that no host keeps a Volume the cluster gave to another Machine.
                if (Unanswered(ended)) return await UndoLaterAsync(entry, ended);
                await ReleaseAsync(attached);
                return null;
            case HostCommandKind.DetachVolume when ended.Parameter(VolumeParameter) is { } detached:
                if (Find(detached) is not { } detaching) return null;
                if (succeeded)
                {
                    await ReleaseAsync(detached);
                    return [Self, new ResourceRef(VolumeHref(detached))];
                }
                // The host never answered: it may have detached it, or not. It is asked again once it is back.
                if (Unanswered(ended)) return await UndoLaterAsync(detaching, ended);
                // The host could not detach it: it is still attached, as the Job says (and the Volume knows it is).
                await CommitAsync(s => s.Volumes = With(s.Volumes, detaching with { Status = Attached }));
                await ConfirmAsync(detached);
                return null;
            case HostCommandKind.Create when succeeded:
                // The Machine now runs with its Volumes; a Volume recorded before it had a host learns it here.
                foreach (var volume in Hosted.Volumes.Where(v => v.Status == Attached)) await ConfirmAsync(volume.VolumeLocalId);
                // The Job names the Volumes made with the Machine.
                return Hosted.NewVolumes.Count == 0 ? null : [Self, .. Hosted.NewVolumes.Select(v => new ResourceRef(VolumeHref(v.VolumeLocalId)))];
            case HostCommandKind.Delete when succeeded:
                // The host removed the workload; its Volumes stay AVAILABLE. Released before the Machine's state is
                // cleared (the base removes it after this), so a crash in between releases them again.
                foreach (var volume in Hosted.Volumes) await Volume(volume.VolumeLocalId).Release(this.GetPrimaryKeyString());
                return null;
            default:
                return null;
        }
    }

    /// <summary>Whether the operation ended without any host's answer (the host went away, the operation timed out, or
    /// another operation took over): then the host may or may not have done it.</summary>
    private bool Unanswered(PendingOperation<MachineStateName> ended) =>
        Hosted.HostId is not null && ended.Commands is { Count: > 0 } commands && commands.All(c => !c.Answered);

    /// <summary>Marks the attachment to be detached on the host first (<see cref="Undoing"/>), durably, and starts that
    /// detach once this operation has settled.</summary>
    private async Task<IReadOnlyList<ResourceRef>?> UndoLaterAsync(MachineAttachment entry, PendingOperation<MachineStateName> ended)
    {
        if (entry.Status != Undoing) await CommitAsync(s => s.Volumes = With(s.Volumes, entry with { Status = Undoing }));
        // An undo that itself went unanswered waits for its host to come back (OnHostReconciled), rather than
        // failing again at once while the host is away.
        if (ended.Parameter(UndoParameter) is null) ScheduleUndo();
        else _undoWaitsForHost = true;
        return null;
    }

    /// <summary>Operation parameter of a detach that undoes an unanswered attach or detach.</summary>
    private const string UndoParameter = "undo";

    /// <summary>Set when an undo went unanswered: the next one starts when the host reconnects (or at the next activation).</summary>
    private bool _undoWaitsForHost;

    /// <summary>The host reconnected: an undo that waited for it starts.</summary>
    protected override void OnHostReconciled(string hostId)
    {
        if (!Hosted.Volumes.Any(v => v.Status == Undoing)) return;
        _undoWaitsForHost = false;
        ScheduleUndo();
    }

    private void ScheduleUndo() =>
        this.RegisterGrainTimer(_ => UndoAsync(), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));

    /// <summary>
    /// Starts the DetachVolume that undoes an attachment in <see cref="Undoing"/>, as an operation of its own with its
    /// own Job (no consumer asked for it: it finishes what an unanswered attach or detach left open). Waits while another
    /// operation is in progress (its end schedules this again) or the Machine is in a transitional state.
    /// </summary>
    private async Task UndoAsync()
    {
        try
        {
            await Fresh();
            if (Hosted.Resource is not { State: { } current } || Hosted.Pending is not null || _undoWaitsForHost || MachineTransitions.IsTransitional(current)) return;
            if (Hosted.Volumes.FirstOrDefault(v => v.Status == Undoing) is not { } entry) return;
            if (Hosted.HostId is null)
            {
                // Never placed after all: no host holds it.
                await ReleaseAsync(entry.VolumeLocalId);
                return;
            }
            var href = VolumeHref(entry.VolumeLocalId);
            await base.Accept(HostCommandKind.DetachVolume, current, Guid.NewGuid().ToString("N"), "delete", force: false,
                $"Detaching Volume '{href}' from host '{Hosted.HostId}', which did not answer whether it attached or detached it before it went away.",
                new Dictionary<string, string> { [VolumeParameter] = entry.VolumeLocalId, [UndoParameter] = "true" });
        }
        catch (Exception e)
        {
            LogUndoDelayed(logger, ResourceId, e.Message);
            _undoWaitsForHost = true;
        }
    }

    /// <summary>Tells the Volume its host made the attachment. A Volume that holds no reservation for this Machine
    /// (refused: it can only have been released meanwhile) must not keep the operation from ending: it is logged.</summary>
    private async Task ConfirmAsync(string volumeLocalId)
    {
        try
        {
            await Volume(volumeLocalId).Confirm(this.GetPrimaryKeyString());
        }
        catch (CimiException e) when (e.Kind is CimiErrorKind.Conflict or CimiErrorKind.NotFound)
        {
            LogConfirmRefused(logger, ResourceId, VolumeHref(volumeLocalId), e.Message);
        }
    }

    /// <summary>Tells the Volume the attachment is given up, then forgets it.</summary>
    private async Task ReleaseAsync(string volumeLocalId)
    {
        try
        {
            await Volume(volumeLocalId).Release(this.GetPrimaryKeyString());
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.NotFound)
        {
            // A Volume that is gone holds nothing for this Machine.
        }
        if (Find(volumeLocalId) is not null) await CommitAsync(s => s.Volumes = Without(s.Volumes, volumeLocalId));
    }

    /// <summary>Attachments that no operation carries on: a reservation whose answer was lost or that was never
    /// accepted, a detach whose release was cut short. Nothing in flight is stranded.</summary>
    private IReadOnlyList<MachineAttachment> Stranded() =>
        // Undoing is not stranded: its detach on the host comes first (UndoAsync).
        [.. Hosted.Volumes.Where(v => v.Status == Reserving
            || (v.Status is Attaching or Detaching && Hosted.Pending?.Parameter(VolumeParameter) != v.VolumeLocalId))];

    private void ScheduleStrandedRelease(TimeSpan dueTime) =>
        this.RegisterGrainTimer(_ => ReleaseStrandedAsync(), new GrainTimerCreationOptions(dueTime, Timeout.InfiniteTimeSpan));

    /// <summary>Releases the stranded attachments; retried while a Volume cannot be reached.</summary>
    private async Task ReleaseStrandedAsync()
    {
        try
        {
            await Fresh();
            if (Hosted.Resource is null) return;
            foreach (var entry in Stranded()) await ReleaseAsync(entry.VolumeLocalId);
        }
        catch (Exception e) when (e is not CimiException || e is CimiException { Kind: CimiErrorKind.Unavailable })
        {
            LogReleaseRetried(logger, ResourceId, e.Message);
            ScheduleStrandedRelease(ReleaseRetry);
        }
    }

    /// <summary>The Volumes every create carries: the attached ones (and one being attached, for the command that attaches it).</summary>
    private IReadOnlyList<VolumeAttachment>? SpecVolumes()
    {
        var volumes = Hosted.Volumes.Where(v => v.Status is Attached or Attaching && v.Attachment is not null).Select(v => v.Attachment!).ToList();
        return volumes.Count > 0 ? volumes : null;
    }

    /// <summary>The hosts whose pools hold the Volumes a new Machine uses from its own host (not over NBD), the one
    /// holding most of them first: a container must go to the only one (docs/VOLUMES.md), a VM goes to the first if it fits.</summary>
    private IReadOnlyList<string> VolumeHosts() =>
        Pinning().GroupBy(a => a.HostId, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key).ToList();

    private List<VolumeAttachment> Pinning() =>
        Hosted.Volumes.Where(v => v.Status is Attached or Attaching && v.Attachment is { NbdAddress: null }).Select(v => v.Attachment!).ToList();

    private string VolumesApart() =>
        $"The Machine's Volumes are on different hosts ({string.Join(", ", Pinning().Select(a => $"'{VolumeHref(a.VolumeKey)}' on '{a.HostId}'"))}); " +
        "a container can use only Volumes of the host it runs on.";

    /// <summary>
    /// A VM placed on <paramref name="hostId"/> whose Volumes were reserved before it had a host (a template's, or
    /// attached while unplaced) reaches those of other hosts over NBD: each is asked again for that host, and answers
    /// with an export of its own (or refuses: its host exports nothing). Each answer is stored before the create is
    /// sent, so a re-create carries it. Returns why a Volume cannot be reached, or null.
    /// </summary>
    private async Task<string?> ReserveOverNbdAsync(string hostId, string driver)
    {
        foreach (var entry in Hosted.Volumes.Where(v => v.Status is Attached or Attaching && v.Attachment is { NbdAddress: null } a && a.HostId != hostId).ToList())
        {
            VolumeAttachment answer;
            try
            {
                answer = await Volume(entry.VolumeLocalId).Reserve(this.GetPrimaryKeyString(), new VolumeUse(driver, hostId, entry.InitialLocation, entry.ReadOnly));
            }
            catch (CimiException e) when (e.Kind is CimiErrorKind.Conflict or CimiErrorKind.NotFound)
            {
                return $"The Machine was placed on host '{hostId}' (its Volumes' host '{entry.Attachment!.HostId}' cannot take it) and cannot reach " +
                    $"Volume '{VolumeHref(entry.VolumeLocalId)}' from there: {e.Message}";
            }
            await CommitAsync(s => s.Volumes = With(s.Volumes, entry with { Attachment = answer }));
        }
        return null;
    }

    private MachineVolume ToMachineVolume(MachineAttachment a)
    {
        var id = MachineVolumes.MachineVolumeId(ResourceId, a.VolumeLocalId);
        var properties = new Dictionary<string, string> { [MachineVolumes.StatusProperty] = StatusName(a.Status) };
        if (a.ReadOnly) properties[MachineVolumes.ReadOnlyProperty] = "true";
        return new MachineVolume
        {
            Id = id, Created = a.Created, Updated = a.Created, Properties = properties,
            InitialLocation = a.InitialLocation, Volume = new ResourceRef(VolumeHref(a.VolumeLocalId)),
            Operations = a.Status == Attached ? [new Operation("delete", id)] : [],
        };
    }

    private static string StatusName(MachineAttachmentStatus status) => status switch
    {
        Attached => "attached",
        Detaching or Undoing => "detaching",
        _ => "attaching",
    };

    private static string Describe(MachineAttachment a) => $"{StatusName(a.Status)}{At(a.InitialLocation)}";

    private static string At(string? location) => location is null ? "" : $" at '{location}'";

    private static string VolumeHref(string volumeKeyOrLocalId) =>
        $"{MachineVolumes.VolumeCollectionSegment}/{(volumeKeyOrLocalId.Contains('/') ? GrainKeys.Split(volumeKeyOrLocalId).LocalId : volumeKeyOrLocalId)}";

    private IVolumeGrain Volume(string volumeLocalId) => GrainFactory.GetGrain<IVolumeGrain>(GrainKeys.Of(TenantId, volumeLocalId));

    private MachineAttachment? Find(string volumeLocalId) => Hosted.Volumes.FirstOrDefault(v => v.VolumeLocalId == volumeLocalId);

    private static IReadOnlyList<MachineAttachment> With(IReadOnlyList<MachineAttachment> volumes, MachineAttachment changed) =>
        [.. volumes.Select(v => v.VolumeLocalId == changed.VolumeLocalId ? changed : v)];

    private static IReadOnlyList<MachineAttachment> Without(IReadOnlyList<MachineAttachment> volumes, string volumeLocalId) =>
        [.. volumes.Where(v => v.VolumeLocalId != volumeLocalId)];

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: Volume {Volume} did not take the confirmation of its attachment: {Reason}")]
    private static partial void LogConfirmRefused(ILogger logger, string resourceId, string volume, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: the detach that undoes an unanswered attachment waits for the host or the next activation: {Reason}")]
    private static partial void LogUndoDelayed(ILogger logger, string resourceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: a Volume reservation nothing carries on could not be released yet; retrying: {Reason}")]
    private static partial void LogReleaseRetried(ILogger logger, string resourceId, string reason);
}
