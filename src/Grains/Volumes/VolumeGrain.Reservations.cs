using CimiGrains.Volumes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// Reservations nothing will confirm (docs/VOLUMES.md, "Unconfirmed reservations"). A Machine reserves before it
/// stores its intent only for a create (the template's Volumes), and a crash or a lost answer can leave a reservation
/// whose Machine never stored it, or whose release never arrived. Such a reservation would block the Volume's delete,
/// capture and every exclusive attachment for ever. So one unconfirmed for longer than
/// <see cref="VolumeOptions.ReservationTimeout"/> is checked with its Machine (<see cref="IVolumeHolder"/>) before it
/// counts, and from a timer while the Volume is active, and dropped when the Machine does not hold it. A Machine that
/// holds it (an attach whose host is slow, a create waiting for a host), that cannot answer, or that may not know its
/// own state keeps it: nothing in use is ever dropped.
/// </summary>
public sealed partial class VolumeGrain
{
    private IGrainTimer? _expiryTimer;

    private TimeSpan ReservationTimeout =>
        ServiceProvider.GetService<IOptions<VolumeOptions>>()?.Value.ReservationTimeout ?? new VolumeOptions().ReservationTimeout;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        ScheduleExpiry();
    }

    /// <summary>Drops the reservations due for a check whose Machine does not hold the Volume; returns how many went.</summary>
    private async Task<int> ExpireUnconfirmedAsync()
    {
        var timeout = ReservationTimeout;
        var volumeKey = this.GetPrimaryKeyString();
        var due = Hosted.Attachments.Where(a => !a.Value.Confirmed && Now - a.Value.Reserved >= timeout).Select(a => a.Key).ToList();
        if (due.Count == 0) return 0;
        var answers = await Task.WhenAll(due.Select(async machineKey =>
        {
            try
            {
                return (machineKey, held: await GrainFactory.GetGrain<IVolumeHolder>(machineKey).HoldsVolume(volumeKey));
            }
            catch (Exception e)
            {
                LogReservationNotChecked(logger, ResourceId, VolumeSharing.MachineRef(machineKey), e.Message);
                return (machineKey, held: true);
            }
        }));
        var expired = 0;
        foreach (var (machineKey, _) in answers.Where(a => !a.held))
        {
            // Asked about this very reservation: one released or confirmed meanwhile is not dropped again.
            if (!Hosted.Attachments.TryGetValue(machineKey, out var reservation) || reservation.Confirmed) continue;
            LogReservationExpired(logger, ResourceId, VolumeSharing.MachineRef(machineKey), reservation.Reserved);
            await DropReservationAsync(machineKey, reservation);
            expired++;
        }
        return expired;
    }

    /// <summary>Removes one Machine's reservation and withdraws its NBD key, if it had one.</summary>
    private async Task DropReservationAsync(string machineKey, VolumeReservation reservation)
    {
        await CommitAsync(s => s.Attachments = s.Attachments.Where(a => a.Key != machineKey).ToDictionary(a => a.Key, a => a.Value));
        if (reservation.Answer.NbdIdentity is not null) await UnexportAsync(reservation.Answer.HostId);
    }

    /// <summary>A timer for the next unconfirmed reservation's check (none when all are confirmed). A reservation
    /// already due is checked at once, except just after a check (<paramref name="afterCheck"/>): its Machine held
    /// it then, so it is asked again a timeout later, not in a loop. Not kept alive: an activation that goes takes
    /// its timer along, and the next one schedules it again (and checks before a reservation counts anyway).</summary>
    private void ScheduleExpiry(bool afterCheck = false)
    {
        _expiryTimer?.Dispose();
        _expiryTimer = null;
        if (Hosted.Resource is null) return;
        var timeout = ReservationTimeout;
        var now = Now;
        var waits = Hosted.Attachments.Values.Where(r => !r.Confirmed)
            .Select(r => r.Reserved + timeout - now is var left && left > TimeSpan.Zero ? left : afterCheck ? timeout : TimeSpan.Zero)
            .ToList();
        if (waits.Count == 0) return;
        _expiryTimer = this.RegisterGrainTimer(async _ =>
        {
            try
            {
                await Fresh();
                await ExpireUnconfirmedAsync();
            }
            catch (Exception e)
            {
                LogReservationNotChecked(logger, ResourceId, "its Machines", e.Message);
            }
            ScheduleExpiry(afterCheck: true);
        }, new GrainTimerCreationOptions(waits.Min(), Timeout.InfiniteTimeSpan));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeId}: the reservation of {Machine} made at {Reserved} was never confirmed and the Machine does not hold it; it is dropped")]
    private static partial void LogReservationExpired(ILogger logger, string volumeId, string machine, DateTimeOffset reserved);

    [LoggerMessage(Level = LogLevel.Information, Message = "Volume {VolumeId}: could not ask {Machine} about an unconfirmed reservation, kept for now: {Reason}")]
    private static partial void LogReservationNotChecked(ILogger logger, string volumeId, string machine, string reason);
}
