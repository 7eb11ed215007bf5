using System.Collections.Immutable;
using System.Threading.Channels;
using CimiGrains.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CimiGrains.Grains.Events;

/// <summary>
/// The one tail of <c>cimi_event</c> in this process (<see cref="IEventStream"/>): woken by the insert
/// trigger's NOTIFY, polling as a fallback, it advances a high-water mark over the contiguous prefix of ids
/// and hands each new event to the subscribers of its tenant.
/// </summary>
/// <remarks>
/// Ids come from a sequence, drawn before commit, so they commit out of order: id 7 may be visible while
/// id 6 is still held by a running transaction, or was drawn by one that rolled back and will never be.
/// The mark therefore stops before a missing id until that id is settled: every transaction running now
/// began after the row behind the gap was inserted (so none of them can hold a smaller id), or the row is
/// older than <see cref="EventOptions.GapTimeout"/>. The running transactions are read in a statement
/// before the rows (READ COMMITTED: the rows' snapshot is later), so a transaction that ends in between
/// is seen committed. The mark is set before the fan-out, and a new subscriber reads the journal up to
/// the mark after it registered, dropping live events it already read: nothing is lost or repeated.
/// </remarks>
public sealed partial class EventTail(NpgsqlDataSource dataSource, IOptions<EventOptions> options, ILogger<EventTail> logger)
    : BackgroundService, IEventStream
{
    private const int BatchSize = 1000;
    private const int SubscriberBacklog = 4096;
    private readonly object _gate = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableArray<Subscription> _subscribers = [];
    private long _mark;

    public long HighWaterMark => Volatile.Read(ref _mark);

    /// <summary>Completes once the mark has its start value (tests and reads before it see nothing newer).</summary>
    public Task Started => _started.Task;

    public IEventSubscription Subscribe(string tenantId, string? resourceId, long after)
    {
        var subscription = new Subscription(this, tenantId, resourceId, after);
        lock (_gate) _subscribers = _subscribers.Add(subscription);
        subscription.Start();
        return subscription;
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate) _subscribers = _subscribers.Remove(subscription);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        NpgsqlConnection? listener = null;
        try
        {
            var inOutage = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!_started.Task.IsCompleted)
                    {
                        Volatile.Write(ref _mark, await StartMarkAsync(stoppingToken));
                        _started.TrySetResult();
                    }
                    if (listener is null)
                    {
                        listener = await dataSource.OpenConnectionAsync(stoppingToken);
                        await using var listen = new NpgsqlCommand("LISTEN cimi_event", listener);
                        await listen.ExecuteNonQueryAsync(stoppingToken);
                    }
                    var behind = await AdvanceAsync(stoppingToken);
                    if (inOutage)
                    {
                        inOutage = false;
                        LogTailResumed(logger);
                    }
                    // A full batch: read on at once. A gap still open: look again soon. Else sleep until woken.
                    if (behind == Backlog.More) continue;
                    if (behind == Backlog.Gap) await Task.Delay(TimeSpan.FromMilliseconds(50), stoppingToken);
                    else await listener.WaitAsync(options.Value.PollInterval, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // A database outage is logged once (the gateway's DatabaseOutage says when it ends for
                    // requests); the tail retries every second meanwhile, and catches up from its mark after.
                    var outage = CimiGrains.Grains.Persistence.DatabaseFailures.IsUnavailable(e);
                    if (!outage || !inOutage) LogTailFailed(logger, e.Message);
                    inOutage |= outage;
                    if (listener is not null) await listener.DisposeAsync();
                    listener = null;
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (listener is not null) await listener.DisposeAsync();
            foreach (var s in _subscribers) s.Complete(null);
        }
    }

    private enum Backlog { None, Gap, More }

    /// <summary>Where the mark starts: behind every row young enough to have a smaller id still in flight.</summary>
    private async Task<long> StartMarkAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT coalesce((SELECT max(id) FROM cimi_event WHERE recorded < clock_timestamp() - $1),
                            (SELECT min(id) - 1 FROM cimi_event), 0)
            """);
        cmd.Parameters.Add(new() { Value = options.Value.GapTimeout, NpgsqlDbType = NpgsqlDbType.Interval });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private async Task<Backlog> AdvanceAsync(CancellationToken ct)
    {
        var mark = HighWaterMark;
        var running = new NpgsqlBatchCommand("""
            SELECT min(xact_start) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
            """);
        var rows = new NpgsqlBatchCommand($"""
            SELECT id, tenant_id, resource_id, convert_to((doc || jsonb_build_object('id', 'events/' || id))::text, 'UTF8'),
                   recorded, clock_timestamp() - recorded > $2
            FROM cimi_event WHERE id > $1 ORDER BY id LIMIT {BatchSize}
            """);
        rows.Parameters.Add(new() { Value = mark });
        rows.Parameters.Add(new() { Value = options.Value.GapTimeout, NpgsqlDbType = NpgsqlDbType.Interval });
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { running, rows } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        DateTime? oldestRunning = reader.IsDBNull(0) ? null : reader.GetDateTime(0);
        await reader.NextResultAsync(ct);
        var read = 0;
        var settled = new List<StreamedEvent>();
        var blocked = false;
        while (await reader.ReadAsync(ct))
        {
            read++;
            var id = reader.GetInt64(0);
            var afterGap = id != mark + 1;
            if (afterGap && !(reader.GetBoolean(5) || oldestRunning is not { } oldest || oldest > reader.GetDateTime(4)))
            {
                blocked = true;
                break;
            }
            settled.Add(new StreamedEvent(id, reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<byte[]>(3)));
            mark = id;
        }
        if (settled.Count > 0)
        {
            // The mark first, then the fan-out (see the remarks).
            Volatile.Write(ref _mark, mark);
            var subscribers = _subscribers;
            foreach (var e in settled)
            {
                foreach (var s in subscribers) s.Offer(e);
            }
        }
        return blocked ? Backlog.Gap : read == BatchSize ? Backlog.More : Backlog.None;
    }

    /// <summary>The journal's events of one log after <paramref name="after"/>, up to <paramref name="upTo"/>, in id order.</summary>
    private async Task<List<StreamedEvent>> ReadAsync(string tenantId, string? resourceId, long after, long upTo, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT id, resource_id, convert_to((doc || jsonb_build_object('id', 'events/' || id))::text, 'UTF8')
            FROM cimi_event WHERE tenant_id = $1 AND ($2::text IS NULL OR resource_id = $2) AND id > $3 AND id <= $4
            ORDER BY id LIMIT {BatchSize}
            """);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = (object?)resourceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = after });
        cmd.Parameters.Add(new() { Value = upTo });
        var found = new List<StreamedEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            found.Add(new StreamedEvent(reader.GetInt64(0), tenantId, reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<byte[]>(2)));
        return found;
    }

    /// <summary>
    /// One subscriber: the tail offers it live events (dropped when it falls <see cref="SubscriberBacklog"/>
    /// behind: the stream ends with an error and the consumer resumes from its last id); its own task first
    /// reads what the journal already holds, then forwards the live events it has not read.
    /// </summary>
    private sealed class Subscription(EventTail tail, string tenantId, string? resourceId, long after) : IEventSubscription
    {
        private readonly Channel<StreamedEvent> _live = Channel.CreateBounded<StreamedEvent>(
            new BoundedChannelOptions(SubscriberBacklog) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        private readonly Channel<StreamedEvent> _out = Channel.CreateBounded<StreamedEvent>(
            new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
        private readonly CancellationTokenSource _stop = new();

        public ChannelReader<StreamedEvent> Events => _out.Reader;

        public void Start() => _ = Task.Run(RunAsync);

        public void Offer(StreamedEvent e)
        {
            if (e.TenantId != tenantId || (resourceId is not null && e.ResourceId != resourceId)) return;
            if (!_live.Writer.TryWrite(e)) Complete(new InvalidOperationException("The subscriber fell too far behind the stream; resume with Last-Event-ID."));
        }

        public void Complete(Exception? error)
        {
            _live.Writer.TryComplete(error);
        }

        private async Task RunAsync()
        {
            var cursor = after;
            try
            {
                await tail.Started.WaitAsync(_stop.Token);
                var upTo = tail.HighWaterMark;
                while (true)
                {
                    var page = await tail.ReadAsync(tenantId, resourceId, cursor, upTo, _stop.Token);
                    foreach (var e in page)
                    {
                        await _out.Writer.WriteAsync(e, _stop.Token);
                        cursor = e.Id;
                    }
                    if (page.Count < BatchSize) break;
                }
                await foreach (var e in _live.Reader.ReadAllAsync(_stop.Token))
                {
                    if (e.Id <= cursor) continue;
                    await _out.Writer.WriteAsync(e, _stop.Token);
                    cursor = e.Id;
                }
                _out.Writer.TryComplete();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                _out.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _out.Writer.TryComplete(e);
            }
        }

        public void Dispose()
        {
            tail.Remove(this);
            _stop.Cancel();
            _live.Writer.TryComplete();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The event tail failed and restarts: {Reason}")]
    private static partial void LogTailFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The event tail reaches the database again and catches up")]
    private static partial void LogTailResumed(ILogger logger);
}
