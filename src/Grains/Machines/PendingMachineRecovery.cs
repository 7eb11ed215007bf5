using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Machines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// Wakes every hosted resource (each kind in <see cref="HostedKinds"/>: Machines so far) that was in the
/// middle of an operation when the cluster went down, as soon as a silo is active. Each Machine's reminder would do it too, but only on its next tick (up to a minute,
/// and only once the reminder service has read its range); a Machine's activation re-sends whatever
/// it had accepted and not yet handed to a host, and finishes an operation whose outcome it had
/// written but not yet told its Job. A Machine's attach or detach of a Volume leaves the Machine in its settled state
/// (docs/VOLUMES.md), so the read model does not show it: those Machines are found by the reminder every pending
/// operation registers before it is stored (<see cref="PendingReminderName"/>), read from the reminders table.
/// Waking a Machine twice (every silo does this at its
/// start) is harmless: activation is idempotent and host commands are fenced by generation.
/// </summary>
public sealed partial class PendingMachineRecovery(
    ResourceReadModel readModel,
    IGrainFactory grains,
    NpgsqlDataSource database,
    IOptions<ClusterOptions> cluster,
    ILogger<PendingMachineRecovery> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The reminder the hosted base registers before every pending operation is stored (and removes once it settled).</summary>
    public const string PendingReminderName = "pending-operation";

    private readonly CancellationTokenSource _stopping = new();
    private Task _recovery = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PendingMachineRecovery), ServiceLifecycleStage.Active,
            _ =>
            {
                // In the background: a silo must not wait for other grains to start serving.
                _recovery = Task.Run(() => RecoverAsync(_stopping.Token));
                return Task.CompletedTask;
            },
            async _ =>
            {
                await _stopping.CancelAsync();
                await _recovery.ContinueWith(_ => { }, TaskScheduler.Default);
            });

    private async Task RecoverAsync(CancellationToken ct)
    {
        try
        {
            // The read model holds every hosted resource's state as of its last durable write (the grain writes
            // its state and then this row before it acknowledges anything), so an operation that was
            // acknowledged shows here in its transitional state.
            foreach (var kind in HostedKinds.All)
            {
                var keys = (await readModel.KeysInStatesAsync(kind.Resource, [.. kind.TransitionalStates], null, int.MaxValue, ct))
                    .Select(k => GrainKeys.Of(k.TenantId, k.LocalId)).ToList();
                if (keys.Count == 0) continue;
                LogRecovering(keys.Count, kind.Resource.TypeName);
                await WakeAsync(kind, keys, ct);
            }
            var settled = await MachinesWithPendingRemindersAsync(ct);
            if (settled.Count > 0)
            {
                LogRecovering(settled.Count, $"{ResourceKind.Machine.TypeName} (by their pending-operation reminder)");
                await WakeAsync(HostedKinds.Machine, settled, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogRecoveryFailed(e);
        }
    }

    private Task WakeAsync(HostedKindInfo kind, IReadOnlyList<string> keys, CancellationToken ct) =>
        Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (key, _) =>
            {
                try
                {
                    await kind.Wake(grains, key);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Its reminder still brings it back; one resource must not stop the others.
                    LogWakeFailed(kind.Resource.TypeName, key, e.Message);
                }
            });

    /// <summary>
    /// The Machines holding a pending-operation reminder, by key. The reminders table is the schema this project owns
    /// for Orleans' ADO.NET reminders (Persistence/Schema/003), in the same database; a silo whose reminders live
    /// elsewhere (memory, in grain tests) finds none here, and the reminders themselves still wake those Machines.
    /// </summary>
    private async Task<IReadOnlyList<string>> MachinesWithPendingRemindersAsync(CancellationToken ct)
    {
        // The type part of a Machine's GrainId, as the reminder service stores it (GrainId.ToString(): "type/key").
        var machineType = grains.GetGrain<IMachineGrain>("t/m").GetGrainId().Type.ToString();
        try
        {
            await using var command = database.CreateCommand(
                "SELECT grainid FROM orleansreminderstable WHERE serviceid = $1 AND remindername = $2 AND grainid LIKE $3");
            command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
            command.Parameters.Add(new() { Value = PendingReminderName });
            command.Parameters.Add(new() { Value = machineType + "/%" });
            var keys = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                if (GrainId.TryParse(reader.GetString(0), out var id) && id.Type.ToString() == machineType && id.Key.ToString() is { } key && key.Contains('/'))
                    keys.Add(key);
            return keys;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return [];
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Waking {Count} resources of type {Type} that had an operation in progress")]
    private partial void LogRecovering(int count, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake {Type} {Key}; its reminder will: {Reason}")]
    private partial void LogWakeFailed(string type, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery of pending operations failed; their reminders will finish them")]
    private partial void LogRecoveryFailed(Exception e);
}
