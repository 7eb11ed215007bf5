using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Jobs;

/// <summary>
/// The periodic purge of finished Jobs. It finds them in the read model (which carries each Job's
/// state and, in <c>updated</c>, when it finished) and deletes each through its own grain, so a Job is
/// removed exactly as a consumer's DELETE would remove it: state first, then its read-model row.
/// </summary>
public sealed partial class JobRetentionGrain(
    ResourceReadModel readModel,
    IOptions<JobRetentionOptions> options,
    ILogger<JobRetentionGrain> logger) : Grain, IJobRetentionGrain, IRemindable
{
    private const string ReminderName = "job-retention";

    /// <summary>Jobs deleted per query: bounded so one tick never holds a huge result in memory.</summary>
    private const int BatchSize = 500;

    private static readonly string[] FinishedStates =
        [JobStateName.SUCCESS.ToString(), JobStateName.FAILED.ToString(), JobStateName.STOPPED.ToString()];

    public async Task Start()
    {
        if (options.Value.Retention is null)
        {
            if (await this.GetReminder(ReminderName) is { } stale) await this.UnregisterReminder(stale);
            return;
        }
        var period = options.Value.Period < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : options.Value.Period;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (options.Value.Retention is not { } retention) return;
        // The resources' clock: Jobs are stamped by it, so they are aged by it.
        var clock = ServiceProvider.GetKeyedService<TimeProvider>(HostedResourceServices.ClockKey) ?? TimeProvider.System;
        var purged = await Purge(clock.GetUtcNow() - retention);
        if (purged > 0) LogPurged(purged, options.Value.RetentionMinutes);
    }

    public async Task<int> Purge(DateTimeOffset finishedBefore)
    {
        var total = 0;
        while (true)
        {
            var batch = await readModel.KeysInStatesAsync(ResourceKind.Job, FinishedStates, finishedBefore, BatchSize, CancellationToken.None);
            foreach (var (tenantId, localId) in batch)
            {
                try
                {
                    await GrainFactory.GetGrain<IJobGrain>(GrainKeys.Of(tenantId, localId)).Delete();
                    total++;
                }
                catch (CimiException e) when (e.Kind is CimiErrorKind.NotFound or CimiErrorKind.Conflict)
                {
                    // Deleted by its consumer meanwhile, or (a stale row) not finished after all.
                }
            }
            if (batch.Count < BatchSize) return total;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} Jobs finished more than {Minutes} minutes ago")]
    private partial void LogPurged(int count, long minutes);
}
