using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace CimiGrains.Grains.Meters;

/// <summary>
/// The samples table (schema 010, docs/METERS.md): batches written with one binary COPY each, series read
/// as intervals aggregated in PostgreSQL (so a reader never holds more than one page), and the time
/// partitions created ahead and dropped after the retention.
/// </summary>
public sealed class SampleStore(NpgsqlDataSource dataSource)
{
    private const string Table = "cimi_meter_sample";
    private const string PartitionPrefix = Table + "_p";

    /// <summary>The per-minute summaries of every series, kept by a trigger on <see cref="Table"/> (schema 014).</summary>
    private const string MinuteTable = "cimi_meter_minute";
    private const string PartitionFormat = "yyyyMMddHH";

    /// <summary>
    /// A partition is vacuumed after this many inserted rows, whatever its size (PostgreSQL's default waits for 20 %
    /// more rows, hours on a day's partition). Vacuum marks the pages all-visible, which is what lets a series read be
    /// an index-only scan of the covering index (schema 013): without it each reading of a recent hour costs a heap
    /// page, since the hosts' batches interleave every series. On insert-only pages vacuum skips what it marked before.
    /// </summary>
    private const int VacuumEveryRows = 100_000;

    /// <summary>Appends <paramref name="samples"/> in one COPY (one round trip, no per-row statement).</summary>
    public async Task WriteAsync(IReadOnlyCollection<StoredSample> samples, CancellationToken ct)
    {
        if (samples.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var writer = await connection.BeginBinaryImportAsync(
            $"COPY {Table} (tenant_id, resource_id, aspect, at, value) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var s in samples)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(s.TenantId, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(s.ResourceId, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(s.Aspect, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(s.At.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            await writer.WriteAsync(s.Value, NpgsqlDbType.Double, ct);
        }
        await writer.CompleteAsync(ct);
    }

    /// <summary>
    /// The intervals of <paramref name="interval"/> (aligned to the Unix epoch) in [<paramref name="from"/>,
    /// <paramref name="to"/>) that hold samples, oldest first, from the <paramref name="skip"/>th, at most
    /// <paramref name="take"/>. The grouping runs in PostgreSQL over the series index.
    /// </summary>
    public async Task<SamplePage> QueryAsync(string tenantId, string resourceId, string aspect, DateTimeOffset from, DateTimeOffset to,
        TimeSpan interval, int skip, int take, CancellationToken ct, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)>? excluded = null)
    {
        if (excluded is not { Count: > 0 } && interval.Ticks % TimeSpan.TicksPerMinute == 0 && FullMinutes(from, to) is var (first, last) && first < last)
            return await QueryByMinutesAsync(tenantId, resourceId, aspect, from, to, interval, first, last, skip, take, ct);
        await using var command = dataSource.CreateCommand($"""
            SELECT date_bin($5, at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS start,
                   min(value), max(value), avg(value), sum(value), count(*), count(*) OVER () AS total
            FROM {Table}
            WHERE tenant_id = $1 AND resource_id = $2 AND aspect = $3 AND at >= $4 AND at < $6 {Excluding(excluded)}
            GROUP BY 1 ORDER BY 1 OFFSET $9 LIMIT $10
            """);
        AddSeries(command, tenantId, new NpgsqlParameter { Value = resourceId }, aspect, from, interval, to, excluded);
        command.Parameters.Add(new NpgsqlParameter { Value = (long)skip });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)take });
        var (intervals, total) = await ReadIntervalsAsync(command, ct);
        if (intervals.Count == 0 && skip > 0) total = await CountAsync(tenantId, resourceId, aspect, from, to, interval, excluded, ct);
        return new SamplePage(intervals, total);
    }

    /// <summary>The whole minutes inside [<paramref name="from"/>, <paramref name="to"/>): from the first minute that
    /// starts at or after <paramref name="from"/> to the last that ends at or before <paramref name="to"/>.</summary>
    private static (DateTimeOffset First, DateTimeOffset Last) FullMinutes(DateTimeOffset from, DateTimeOffset to)
    {
        var first = new DateTimeOffset((from.UtcTicks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var last = new DateTimeOffset(to.UtcTicks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        return (first, last);
    }

    /// <summary>
    /// <see cref="QueryAsync"/> for an interval of whole minutes (and no period left out): the whole minutes of the
    /// range from the per-minute summaries (schema 014, one row a minute), the partial minutes at its two ends from
    /// the readings, grouped together. The same intervals as from the readings alone, at a sixtieth of the rows.
    /// </summary>
    private async Task<SamplePage> QueryByMinutesAsync(string tenantId, string resourceId, string aspect, DateTimeOffset from, DateTimeOffset to,
        TimeSpan interval, DateTimeOffset firstMinute, DateTimeOffset lastMinute, int skip, int take, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH parts AS (
                SELECT minute AS at, min, max, sum, count FROM {MinuteTable}
                WHERE tenant_id = $1 AND resource_id = $2 AND aspect = $3 AND minute >= $7 AND minute < $8
                UNION ALL
                SELECT at, value, value, value, 1 FROM {Table}
                WHERE tenant_id = $1 AND resource_id = $2 AND aspect = $3 AND ((at >= $4 AND at < $7) OR (at >= $8 AND at < $6)))
            SELECT date_bin($5, at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS start,
                   min(min), max(max), sum(sum) / sum(count), sum(sum), sum(count)::bigint, count(*) OVER () AS total
            FROM parts GROUP BY 1 ORDER BY 1 OFFSET $9 LIMIT $10
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = resourceId });
        command.Parameters.Add(new NpgsqlParameter { Value = aspect });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = interval, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = firstMinute.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = lastMinute.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)skip });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)take });
        var (intervals, total) = await ReadIntervalsAsync(command, ct);
        // A page past the end has no row to carry the total: the first page's answer is as good as a count.
        if (intervals.Count == 0 && skip > 0)
            total = (await QueryByMinutesAsync(tenantId, resourceId, aspect, from, to, interval, firstMinute, lastMinute, 0, 1, ct)).Total;
        return new SamplePage(intervals, total);
    }

    /// <summary>
    /// Leaves out the readings inside the periods in $7 and $8 (starts and ends, pairwise): the times a Meter
    /// was stopped. A handful of periods at most, so the check per row is a scan of two short arrays.
    /// </summary>
    private const string NotExcluded =
        "AND NOT EXISTS (SELECT 1 FROM unnest($7::timestamptz[], $8::timestamptz[]) AS p(f, t) WHERE at >= p.f AND at < p.t)";

    /// <summary>The exclusion, only when there are periods to leave out: a Meter that was never stopped (most) spares
    /// every row of its range the subquery (about a tenth of a one-hour read). $7 and $8 are sent either way.</summary>
    private static string Excluding(IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)>? excluded) => excluded is { Count: > 0 } ? NotExcluded : "";

    /// <summary>
    /// The series of a group (a System): the readings of <paramref name="resourceIds"/> summed per sampling
    /// period (<paramref name="period"/>, aligned to the epoch like every interval), then grouped into intervals
    /// of <paramref name="interval"/> as <see cref="QueryAsync"/> does for one resource. The sum per period
    /// is what the group uses in that period (CPU, memory, bytes per second); a member's reading that jitters
    /// into the next period moves with it, which the interval averages smooth out.
    /// </summary>
    public async Task<SamplePage> QuerySumAsync(string tenantId, IReadOnlyList<string> resourceIds, string aspect, DateTimeOffset from,
        DateTimeOffset to, TimeSpan interval, TimeSpan period, int skip, int take, CancellationToken ct,
        IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)>? excluded = null)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH grouped AS (
                SELECT date_bin($11, at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS at, sum(value) AS value
                FROM {Table}
                WHERE tenant_id = $1 AND resource_id = ANY($2) AND aspect = $3 AND at >= $4 AND at < $6 {Excluding(excluded)}
                GROUP BY 1)
            SELECT date_bin($5, at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS start,
                   min(value), max(value), avg(value), sum(value), count(*), count(*) OVER () AS total
            FROM grouped GROUP BY 1 ORDER BY 1 OFFSET $9 LIMIT $10
            """);
        AddSeries(command, tenantId, new NpgsqlParameter { Value = resourceIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            aspect, from, interval, to, excluded);
        command.Parameters.Add(new NpgsqlParameter { Value = (long)skip });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)take });
        command.Parameters.Add(new NpgsqlParameter { Value = period, NpgsqlDbType = NpgsqlDbType.Interval });
        var (intervals, total) = await ReadIntervalsAsync(command, ct);
        // A page past the end has no row to carry the total: the first page's answer is as good as a count.
        if (intervals.Count == 0 && skip > 0)
            total = (await QuerySumAsync(tenantId, resourceIds, aspect, from, to, interval, period, 0, 1, ct, excluded)).Total;
        return new SamplePage(intervals, total);
    }

    /// <summary>The rows of both interval queries: start, min, max, average, sum, count, and the total of intervals.</summary>
    private static async Task<(List<SampleInterval> Intervals, long Total)> ReadIntervalsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var intervals = new List<SampleInterval>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            intervals.Add(new SampleInterval(new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero), reader.GetDouble(1), reader.GetDouble(2),
                reader.GetDouble(3), reader.GetDouble(4), reader.GetInt64(5)));
            total = reader.GetInt64(6);
        }
        return (intervals, total);
    }

    /// <summary>The number of intervals holding samples, for a page past the end (which returned no total).</summary>
    private async Task<long> CountAsync(string tenantId, string resourceId, string aspect, DateTimeOffset from, DateTimeOffset to,
        TimeSpan interval, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)>? excluded, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT count(DISTINCT date_bin($5, at, TIMESTAMPTZ '1970-01-01 00:00:00+00'))
            FROM {Table} WHERE tenant_id = $1 AND resource_id = $2 AND aspect = $3 AND at >= $4 AND at < $6 {Excluding(excluded)}
            """);
        AddSeries(command, tenantId, new NpgsqlParameter { Value = resourceId }, aspect, from, interval, to, excluded);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Parameters $1 to $8 of the series queries: the series (<paramref name="resource"/>: one id, or the
    /// array of a group's), the range's start, the interval, the range's end, and the periods left out.</summary>
    private static void AddSeries(NpgsqlCommand command, string tenantId, NpgsqlParameter resource, string aspect, DateTimeOffset from,
        TimeSpan interval, DateTimeOffset to, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)>? excluded)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(resource);
        command.Parameters.Add(new NpgsqlParameter { Value = aspect });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = interval, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        AddExcluded(command, excluded);
    }

    /// <summary>Parameters $7 and $8: the starts and the ends of the periods left out.</summary>
    private static void AddExcluded(NpgsqlCommand command, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)>? excluded)
    {
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = (excluded ?? []).Select(p => p.From.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = (excluded ?? []).Select(p => p.To.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        });
    }

    /// <summary>Deletes a resource's samples (its last Meter is gone with it); the partitions' retention would in time.</summary>
    public async Task DeleteSeriesAsync(string tenantId, string resourceId, CancellationToken ct)
    {
        foreach (var table in new[] { Table, MinuteTable })
        {
            await using var command = dataSource.CreateCommand($"DELETE FROM {table} WHERE tenant_id = $1 AND resource_id = $2");
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = resourceId });
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Creates the partitions from the one holding <paramref name="now"/> to <paramref name="ahead"/> later,
    /// and drops those that ended more than <paramref name="retention"/> before <paramref name="now"/>.
    /// Safe to run on every silo at once: CREATE … IF NOT EXISTS and DROP … IF EXISTS.
    /// </summary>
    public async Task MaintainPartitionsAsync(DateTimeOffset now, TimeSpan width, TimeSpan ahead, TimeSpan retention, CancellationToken ct)
    {
        var hours = (int)width.TotalHours;
        var utc = now.UtcDateTime;
        var start = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour / hours * hours, 0, 0, DateTimeKind.Utc);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        for (var from = start; from < utc + ahead; from += width)
        {
            try
            {
                await using var create = new NpgsqlCommand($"""
                    CREATE TABLE IF NOT EXISTS {PartitionPrefix}{from.ToString(PartitionFormat, CultureInfo.InvariantCulture)}
                    PARTITION OF {Table} FOR VALUES FROM ('{from:O}') TO ('{from + width:O}')
                    WITH (autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = {VacuumEveryRows})
                    """, connection);
                await create.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidObjectDefinition or PostgresErrorCodes.UniqueViolation
                                                 or PostgresErrorCodes.DuplicateTable)
            {
                // 42P17: a partition of another width (the setting changed) already covers part of this range,
                // and its rows stay there; 23505/42P07: another silo created it at the same moment.
            }
        }
        await using var list = new NpgsqlCommand($"""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = '{Table}'::regclass
            """, connection);
        var names = new List<string>();
        await using (var reader = await list.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) names.Add(reader.GetString(0));
        }
        foreach (var name in names)
        {
            if (!name.StartsWith(PartitionPrefix, StringComparison.Ordinal)
                || !DateTime.TryParseExact(name[PartitionPrefix.Length..], PartitionFormat, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var from)
                || from + width > utc - retention) continue;
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {name}", connection);
            await drop.ExecuteNonQueryAsync(ct);
        }
        // The minutes go with the readings: those before the oldest partition that can still be kept.
        await using var minutes = new NpgsqlCommand($"DELETE FROM {MinuteTable} WHERE minute < $1", connection);
        minutes.Parameters.Add(new NpgsqlParameter { Value = utc - retention - width, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await minutes.ExecuteNonQueryAsync(ct);
    }
}
