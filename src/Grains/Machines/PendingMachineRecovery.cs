using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.ReadModel;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// Wakes every hosted resource (each kind in <see cref="HostedKinds"/>: Machines so far) that was in the
/// middle of an operation when the cluster went down, as soon as a silo is active. Each Machine's reminder would do it too, but only on its next tick (up to a minute,
/// and only once the reminder service has read its range); a Machine's activation re-sends whatever
/// it had accepted and not yet handed to a host, and finishes an operation whose outcome it had
/// written but not yet told its Job. Waking a Machine twice (every silo does this at its
/// start) is harmless: activation is idempotent and host commands are fenced by generation.
/// </summary>
public sealed partial class PendingMachineRecovery(
    ResourceReadModel readModel,
    IGrainFactory grains,
    ILogger<PendingMachineRecovery> logger) : ILifecycleParticipant<ISiloLifecycle>
{
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
                await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Waking {Count} resources of type {Type} that had an operation in progress")]
    private partial void LogRecovering(int count, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake {Type} {Key}; its reminder will: {Reason}")]
    private partial void LogWakeFailed(string type, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery of pending operations failed; their reminders will finish them")]
    private partial void LogRecoveryFailed(Exception e);
}
