using CimiGrains.Hosts;
using Microsoft.Extensions.Logging;
using static CimiGrains.Grains.Machines.MachineAttachmentStatus;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// The Machine's Volumes against its host's inventory at reconnection (docs/VOLUMES.md, "At reconnection"). An agent
/// restores what its records say, so the two agree after an ordinary restart; they differ when an agent's record was
/// lost or damaged, or an attach or detach happened on the host that the cluster never learned of. Each difference
/// becomes an operation of the Machine, with a Job of its own, through the paths an attach and a detach already take:
/// a Volume the host lacks is attached again (ATTACH_VOLUME with its reservation), one the host has unrecorded is
/// detached there (as an unanswered attach is undone: only the host's answer releases it).
/// </summary>
public sealed partial class MachineGrain
{
    /// <summary>Attached Volumes the host's last inventory did not list, to attach again one operation at a time. In memory
    /// only: a crash forgets them, and the next reconnection compares again.</summary>
    private readonly HashSet<string> _lostOnHost = new(StringComparer.Ordinal);

    public async Task ReconcileVolumes(string hostId, string sessionId, IReadOnlyList<string> attachedVolumeKeys)
    {
        await Fresh();
        // Only the inventory of the session the Machine was just reconciled with, from its own host: any other is stale.
        if (Hosted.Resource is null || Hosted.HostId != hostId || Hosted.HostSessions?.GetValueOrDefault(hostId) != sessionId) return;
        // The agent attaches only what this Machine sent, all of its tenant: another key cannot be one of its Volumes.
        var listed = attachedVolumeKeys.Where(k => k.IndexOf('/') > 0).Select(GrainKeys.Split)
            .Where(k => k.TenantId == TenantId).Select(k => k.LocalId).ToHashSet(StringComparer.Ordinal);
        // The Volume of the operation in flight is that operation's to settle: its command was just sent again.
        var inFlight = Hosted.Pending?.Parameter(VolumeParameter);
        var unknown = listed.Where(id => id != inFlight && Find(id) is null).ToList();
        if (unknown.Count > 0)
        {
            // Written as Undoing, durably (the reminder first, to wake the Machine after a crash): the undo detaches it
            // on the host, and that answer releases it (a no-op on a Volume that holds nothing for this Machine).
            await RegisterPendingReminderAsync();
            await CommitAsync(s => s.Volumes = [.. s.Volumes, .. unknown.Select(id => new MachineAttachment(id, null, false, Undoing,
                new VolumeAttachment(GrainKeys.Of(TenantId, id), null, false, "", 0, hostId), Now))]);
            foreach (var id in unknown) LogUnknownOnHost(logger, ResourceId, VolumeHref(id), hostId);
            _undoWaitsForHost = false;
            ScheduleUndo();
        }
        _lostOnHost.Clear();
        foreach (var entry in Hosted.Volumes.Where(v => v.Status == Attached && v.VolumeLocalId != inFlight && !listed.Contains(v.VolumeLocalId)))
        {
            LogLostOnHost(logger, ResourceId, VolumeHref(entry.VolumeLocalId), hostId);
            _lostOnHost.Add(entry.VolumeLocalId);
        }
        if (_lostOnHost.Count > 0) ScheduleReattach();
    }

    private void ScheduleReattach() =>
        this.RegisterGrainTimer(_ => ReattachAsync(), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));

    /// <summary>
    /// Starts an AttachVolume, with a Job of its own, for the next Volume the host lost. It ends as every attach does:
    /// the host's success confirms it; its refusal gives the attachment up (the Volume is released, and the Job says why);
    /// no answer undoes it. Waits while another operation is in progress (its end schedules this again).
    /// </summary>
    private async Task ReattachAsync()
    {
        try
        {
            await Fresh();
            if (Hosted.Resource is not { State: { } current } || Hosted.Pending is not null || Hosted.HostId is null || MachineTransitions.IsTransitional(current)) return;
            if (Hosted.Volumes.FirstOrDefault(v => v.Status == Attached && _lostOnHost.Contains(v.VolumeLocalId)) is not { } entry)
            {
                _lostOnHost.Clear();
                return;
            }
            _lostOnHost.Remove(entry.VolumeLocalId);
            var href = VolumeHref(entry.VolumeLocalId);
            await base.Accept(HostCommandKind.AttachVolume, current, Guid.NewGuid().ToString("N"), "add", force: false,
                $"Attaching Volume '{href}'{At(entry.InitialLocation)} again: host '{Hosted.HostId}' did not have it when it reconnected.",
                new Dictionary<string, string> { [VolumeParameter] = entry.VolumeLocalId },
                setUp: s => s.Volumes = With(s.Volumes, entry with { Status = Attaching }));
        }
        catch (Exception e)
        {
            // The next reconnection compares again.
            LogReattachDelayed(logger, ResourceId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: host {HostId} has Volume {Volume} attached, which the Machine does not record; detaching it there")]
    private static partial void LogUnknownOnHost(ILogger logger, string resourceId, string volume, string hostId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: host {HostId} does not have Volume {Volume}, which the Machine records as attached; attaching it again")]
    private static partial void LogLostOnHost(ILogger logger, string resourceId, string volume, string hostId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: attaching again a Volume its host lost waits for the next reconnection: {Reason}")]
    private static partial void LogReattachDelayed(ILogger logger, string resourceId, string reason);
}
