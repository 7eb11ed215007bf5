using CimiGrains.Events;
using CimiGrains.Grains.ReadModel;
using CimiGrains.ReadModel;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CimiGrains.Grains.Events;

/// <summary>
/// <see cref="IEventLogReader"/> on <c>cimi_event</c>. Every read is bounded by the tail's high-water
/// mark (<see cref="EventTail"/>), so collections and the stream agree on what has happened. <c>$filter</c>
/// and <c>$orderby</c> run through <see cref="FilterSql"/> over the Event documents, exactly as resource
/// collections do.
/// </summary>
public sealed class EventLogReader(NpgsqlDataSource dataSource, IEventStream stream, IOptions<EventOptions> options) : IEventLogReader
{
    /// <summary>The rows of one log, shaped as FilterSql expects of a resource row ($1 tenant, $2 resource, $3 mark, $4 since).</summary>
    private const string Log = """
        (SELECT id, doc || jsonb_build_object('id', 'events/' || id) AS doc, time AS created, doc->>'name' AS name,
                NULL::text AS doc_state, NULL::numeric AS doc_cpu, NULL::numeric AS doc_memory
         FROM cimi_event WHERE tenant_id = $1 AND ($2::text IS NULL OR resource_id = $2) AND id <= $3
           AND ($4::timestamptz IS NULL OR time >= $4)) e
        """;

    public TimeSpan? Retention => options.Value.Retention;

    public async Task<ResourcePage> QueryAsync(string tenantId, string? resourceId, DateTimeOffset? since, ResourceQuery query, CancellationToken ct)
    {
        var mark = stream.HighWaterMark;
        var countSql = new FilterSql(LogParameters);
        var countWhere = query.Filter is null ? "" : " WHERE " + countSql.Where(query.Filter);
        var count = Command($"SELECT count(*) FROM {Log}{countWhere}", tenantId, resourceId, mark, since);
        foreach (var p in countSql.Parameters) count.Parameters.Add(p);

        var pageSql = new FilterSql(LogParameters);
        var pageWhere = query.Filter is null ? "" : " WHERE " + pageSql.Where(query.Filter);
        // The journal's own order unless the consumer asks for another.
        var orderBy = query.OrderBy.Count == 0 ? "id" : pageSql.OrderBy(query.OrderBy);
        var offset = pageSql.Parameters.Count + LogParameters + 1;
        var page = Command($"""
            SELECT convert_to(doc::text, 'UTF8') FROM {Log}{pageWhere} ORDER BY {orderBy} OFFSET ${offset} LIMIT ${offset + 1}
            """, tenantId, resourceId, mark, since);
        foreach (var p in pageSql.Parameters) page.Parameters.Add(p);
        page.Parameters.Add(new() { Value = (long)(query.First - 1) });
        page.Parameters.Add(new() { Value = (long)Math.Max(0, query.Last - query.First + 1) });

        return await ResourceReadModel.CountAndPageAsync(dataSource, count, page, ct);
    }

    public async Task<byte[]?> GetAsync(string tenantId, long id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT convert_to((doc || jsonb_build_object('id', 'events/' || id))::text, 'UTF8')
            FROM cimi_event WHERE id = $1 AND tenant_id = $2 AND id <= $3
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = stream.HighWaterMark });
        return await cmd.ExecuteScalarAsync(ct) as byte[];
    }

    public async Task<EventLogSummary> SummaryAsync(string tenantId, string? resourceId, DateTimeOffset? since, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { Command("""
                SELECT severity, count(*) FROM cimi_event WHERE tenant_id = $1 AND ($2::text IS NULL OR resource_id = $2) AND id <= $3
                    AND ($4::timestamptz IS NULL OR time >= $4) GROUP BY severity
                """, tenantId, resourceId, stream.HighWaterMark, since) },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var summary = new EventLogSummary();
        while (await reader.ReadAsync(ct))
        {
            var n = reader.GetInt64(1);
            summary = reader.GetString(0) switch
            {
                "low" => summary with { Low = n },
                "medium" => summary with { Medium = n },
                "high" => summary with { High = n },
                "critical" => summary with { Critical = n },
                _ => summary,
            };
        }
        return summary;
    }

    public async Task<bool> LogExistsAsync(string tenantId, string resourceId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM cimi_resource WHERE tenant_id = $1 AND id IN ($2, $3))
                OR EXISTS (SELECT 1 FROM cimi_event WHERE tenant_id = $1 AND resource_id = $2)
            """);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = resourceId });
        cmd.Parameters.Add(new() { Value = EventLogIds.ForResource(resourceId) });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>How many parameters <see cref="Log"/> takes before a query's own.</summary>
    private const int LogParameters = 4;

    private static NpgsqlBatchCommand Command(string sql, string tenantId, string? resourceId, long mark, DateTimeOffset? since)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = (object?)resourceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = mark });
        command.Parameters.Add(new() { Value = (object?)since?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return command;
    }
}
