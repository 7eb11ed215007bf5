using System.Threading.Channels;
using CimiGrains.Meters;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Meters;

/// <summary>
/// Where the agents' sample batches enter the silo: they are queued, written to PostgreSQL in large
/// COPYs (every batch that arrived while the previous write ran goes into the next), and then each
/// resource in the write is told its latest value per aspect, once per resource and write, for its
/// Meters' alarms. No grain call per sample, and no grain in the write path: a Meter is a view over the
/// table. The queue is bounded: when PostgreSQL falls behind, the oldest readings are dropped rather
/// than the silo's memory growing (a sample lost is a gap in a series; nothing else depends on it).
/// While PostgreSQL cannot be reached at all, the batch in hand is retried every second, so a short
/// outage costs no samples.
/// It also keeps the table's time partitions (created ahead, dropped after the retention).
/// </summary>
public sealed partial class MeterSampleIngest(
    SampleStore store, IGrainFactory grains, IOptions<MeterSampleOptions> options, TimeProvider clock, ILogger<MeterSampleIngest> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaintenancePeriod = TimeSpan.FromMinutes(10);

    /// <summary>How often a batch is tried again while the database is unreachable.</summary>
    private static readonly TimeSpan OutageRetryPeriod = TimeSpan.FromSeconds(1);

    private readonly Channel<IReadOnlyList<StoredSample>> _queue = Channel.CreateBounded<IReadOnlyList<StoredSample>>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private long _written;

    /// <summary>Samples written since the silo started (for the benchmark and the logs).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Queues one host's batch; never waits for the database.</summary>
    public void Enqueue(IReadOnlyList<StoredSample> samples)
    {
        if (samples.Count > 0) _queue.Writer.TryWrite(samples);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var maintained = DateTimeOffset.MinValue;
        var batch = new List<StoredSample>();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (clock.GetUtcNow() - maintained >= MaintenancePeriod)
            {
                try
                {
                    await store.MaintainPartitionsAsync(clock.GetUtcNow(), o.PartitionWidth, o.CreateAhead, o.Retention, stoppingToken);
                    maintained = clock.GetUtcNow();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogMaintenanceFailed(e.Message);
                }
            }
            try
            {
                if (!await _queue.Reader.WaitToReadAsync(stoppingToken).AsTask().WaitAsync(MaintenancePeriod, stoppingToken)) break;
            }
            catch (TimeoutException)
            {
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            batch.Clear();
            while (batch.Count < o.BatchSize && _queue.Reader.TryRead(out var samples)) batch.AddRange(samples);
            await WriteAndObserveAsync(batch, stoppingToken);
        }
    }

    private async Task WriteAndObserveAsync(List<StoredSample> batch, CancellationToken ct)
    {
        for (var waited = false; ; waited = true)
        {
            try
            {
                await store.WriteAsync(batch, ct);
                Interlocked.Add(ref _written, batch.Count);
                if (waited) LogWriteResumed(batch.Count);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException && Persistence.DatabaseFailures.IsUnavailable(e))
            {
                // The database is away: this batch waits for it (a COPY that broke committed nothing, so
                // writing it again is safe) while the queue behind it stays bounded, and the outage is one
                // log line, not one per attempt.
                if (!waited) LogWriteWaiting(batch.Count, e.Message);
                await Task.Delay(OutageRetryPeriod, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogWriteFailed(batch.Count, e.Message);
                return;
            }
        }
        foreach (var resource in batch.GroupBy(s => (s.TenantId, s.ResourceId)))
        {
            var latest = resource.GroupBy(s => s.Aspect).ToDictionary(a => a.Key, a => a.MaxBy(s => s.At).Value);
            var at = resource.Max(s => s.At);
            try
            {
                await grains.GetGrain<IMeteredResourceGrain>(MeteredResources.Key(resource.Key.TenantId, resource.Key.ResourceId)).Observe(latest, at);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The samples are stored; only this batch's alarm check is lost, and the next batch checks again.
                LogObserveFailed(resource.Key.ResourceId, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meter samples: {Count} samples were not written: {Reason}")]
    private partial void LogWriteFailed(int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meter samples: {Count} samples wait for the database, which cannot be reached: {Reason}")]
    private partial void LogWriteWaiting(int count, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Meter samples: the database is back; the {Count} waiting samples are written")]
    private partial void LogWriteResumed(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meter samples: the partitions could not be maintained: {Reason}")]
    private partial void LogMaintenanceFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meter samples of {ResourceId}: the alarm check failed: {Reason}")]
    private partial void LogObserveFailed(string resourceId, string reason);
}
