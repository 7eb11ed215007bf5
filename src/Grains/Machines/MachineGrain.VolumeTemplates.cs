using CimiGrains.Grains.Common;
using CimiGrains.Hosts;
using CimiGrains.Machines;
using CimiGrains.Volumes;
using static CimiGrains.Grains.Machines.MachineAttachmentStatus;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// The Volumes a create makes from its template's <c>volumeTemplates</c> (docs/VOLUMES.md). They are made
/// before the Machine is placed, because a Volume pins the Machine to the host whose pool holds it: the
/// Volume's own placement chooses that host. Each step runs in the create's plan, which the hosted base
/// repeats (after a wait, or a crash) until the Machine is placed, and each is idempotent: the Volume's id
/// was stored with the Machine, a second create of it is taken as done, a reservation repeated gets the
/// same answer.
/// </summary>
public sealed partial class MachineGrain
{
    /// <summary>How often the create looks again at Volumes still being created.</summary>
    private static readonly TimeSpan NewVolumeRetry = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Creates the new Volumes not yet asked for, and reserves and attaches those that are AVAILABLE. Null when
    /// every one is attached (the create can be placed); a wait while any is still being created; a failure,
    /// naming the Volume and why, when one cannot be made or did not become AVAILABLE.
    /// </summary>
    private async Task<HostPlan?> PrepareNewVolumesAsync(PendingOperation<MachineStateName> pending)
    {
        var driver = ImageLocation.Parse(Hosted.Spec!.ImageLocation).Driver;
        var creating = new List<string>();
        foreach (var (wanted, i) in Hosted.NewVolumes.Select((v, i) => (v, i)))
        {
            if (Find(wanted.VolumeLocalId) is { Status: Attached }) continue;
            var href = VolumeHref(wanted.VolumeLocalId);
            var at = $"'volumeTemplates[{i}]'";
            var grain = Volume(wanted.VolumeLocalId);
            if (!wanted.Requested)
            {
                // Asked also when the Volume exists: a crash after it accepted may have come before its Job was begun (and
                // nested in the Machine's); the same create again begins it, or is taken as done.
                if (await CreateNewVolumeAsync(pending, grain, wanted, href, at) is { } refusal) return HostPlan.Fail(refusal);
                // Just asked for: it is CREATING until its host made it.
                creating.Add(href);
                continue;
            }
            var volume = await grain.GetInternal();
            if (volume is null) return HostPlan.Fail($"Volume '{href}', created for {at}, was deleted before the Machine could use it.");
            switch (volume.State)
            {
                case VolumeStateName.CREATING:
                    creating.Add(href);
                    break;
                case VolumeStateName.AVAILABLE:
                    if (await ReserveNewVolumeAsync(grain, wanted, driver, href, at) is { } refused) return HostPlan.Fail(refused);
                    break;
                default:
                    return HostPlan.Fail($"Volume '{href}', created for {at}, is {volume.State}, not AVAILABLE: {await JobMessageAsync(wanted.JobLocalId)}");
            }
        }
        return creating.Count == 0
            ? null
            : HostPlan.Wait($"the Machine's new Volumes are being created first ({string.Join(", ", creating.Select(h => $"'{h}'"))}).", NewVolumeRetry);
    }

    /// <summary>Asks the Volume to be created with the id stored for it; a Volume that already exists (the create was
    /// asked before a crash) is done. Returns why it was refused, or null.</summary>
    private async Task<string?> CreateNewVolumeAsync(PendingOperation<MachineStateName> pending, IVolumeGrain grain, MachineNewVolume wanted, string href, string at)
    {
        try
        {
            await grain.Create(new VolumeCreate
            {
                Name = wanted.Template.Name, Description = wanted.Template.Description ?? $"Created with Machine '{ResourceId}'.",
                Properties = wanted.Template.Properties, VolumeTemplate = wanted.Template with { Name = null, Description = null, Properties = null },
            }, wanted.JobLocalId, parentJobLocalId: pending.JobLocalId);
        }
        catch (CimiException e) when (e.Kind is CimiErrorKind.Invalid or CimiErrorKind.NotFound or CimiErrorKind.Conflict)
        {
            // "already exists": this create was asked before; anything else is why the Volume cannot be made.
            if (e.Kind != CimiErrorKind.Conflict || await grain.GetInternal() is null)
                return $"Creating Volume '{href}' for {at} failed: {e.Message}";
        }
        await CommitAsync(s => s.NewVolumes = Requested(s.NewVolumes, wanted.VolumeLocalId));
        await Progress(pending, $"Creating the Machine: Volume '{href}' for {at} is being created (Job '{ResourceKind.Job.IdOf(wanted.JobLocalId)}').");
        return null;
    }

    /// <summary>Reserves an AVAILABLE new Volume and records it as attached (written as reserving first, as every
    /// attachment is, so a Machine deleted meanwhile releases it). Returns the Volume's refusal, or null.</summary>
    private async Task<string?> ReserveNewVolumeAsync(IVolumeGrain grain, MachineNewVolume wanted, string driver, string href, string at)
    {
        var entry = Find(wanted.VolumeLocalId) ?? new MachineAttachment(wanted.VolumeLocalId, wanted.InitialLocation, false, Reserving, null, Now);
        if (entry.Status == Reserving && Find(wanted.VolumeLocalId) is null) await CommitAsync(s => s.Volumes = [.. s.Volumes, entry]);
        VolumeAttachment answer;
        try
        {
            answer = await grain.Reserve(this.GetPrimaryKeyString(), new VolumeUse(driver, null, wanted.InitialLocation, ReadOnly: false));
        }
        catch (CimiException e) when (e.Kind is CimiErrorKind.Invalid or CimiErrorKind.NotFound or CimiErrorKind.Conflict)
        {
            await CommitAsync(s => s.Volumes = Without(s.Volumes, wanted.VolumeLocalId));
            return $"Volume '{href}', created for {at}, could not be attached: {e.Message}";
        }
        await CommitAsync(s => s.Volumes = With(s.Volumes, entry with { Status = Attached, Attachment = answer }));
        return null;
    }

    private async Task<string> JobMessageAsync(string jobLocalId) =>
        (await Job(jobLocalId).GetInternal())?.StatusMessage ?? "its Job says nothing more.";

    private static IReadOnlyList<MachineNewVolume> Requested(IReadOnlyList<MachineNewVolume> volumes, string volumeLocalId) =>
        [.. volumes.Select(v => v.VolumeLocalId == volumeLocalId ? v with { Requested = true } : v)];
}
