using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using CimiGrains.Grains.Events;
using CimiGrains.ReadModel;

namespace CimiGrains.Grains.ReadModel;

/// <summary>
/// The queryable copy of every resource in PostgreSQL (<c>cimi_resource</c>): one row per resource,
/// the public document as jsonb. Grains write it after their own state is durable; collection reads
/// page it, so listing never activates a grain per item. A row never holds a secret.
/// </summary>
public sealed class ResourceReadModel(NpgsqlDataSource dataSource) : IResourceReader
{
    private readonly PageAnchors _anchors = new(TimeProvider.System);
    private long _pagesFromAnchors;

    /// <summary>How many pages were read from page anchors (diagnostics; tests check that the path is taken).</summary>
    internal long PagesFromAnchors => Interlocked.Read(ref _pagesFromAnchors);

    /// <summary>
    /// From how many skipped items on a page is read through a deferred join (measured on 10,000
    /// Machines: a skipped row's heap tuple costs ~1 µs, the join ~0.5–1 ms more than a plain page).
    /// </summary>
    public const int DeferredJoinOffset = 500;

    /// <summary>
    /// How many versions of a collection's membership cimi_resource_membership keeps (schema 006 prunes
    /// it to this every 100 versions): page anchors further behind are rebuilt, not corrected.
    /// </summary>
    public const int MembershipWindow = 1_000;


    /// <summary>
    /// Writes the resource's row and, when given, its <paramref name="domainEvent"/> as an Event row (see
    /// <see cref="EventRows"/>), in one round trip and one transaction: the event is recorded exactly when
    /// the row is, and writing both again (the re-projection on activation) records it once.
    /// </summary>
    public Task UpsertAsync(string tenantId, ResourceKind kind, CimiResource resource, string? state, DomainEvent? domainEvent = null) =>
        UpsertAsync(tenantId, kind, resource, Document(resource), state, domainEvent);

    /// <summary>The row's document for <paramref name="resource"/>, as <see cref="UpsertAsync(string, ResourceKind, CimiResource, string, string?, DomainEvent?)"/> stores it.</summary>
    public static string Document(CimiResource resource) => JsonSerializer.Serialize(resource, resource.GetType(), CimiJson.Options);

    /// <summary>Upserts the row with <paramref name="json"/>, the resource's <see cref="Document"/> already made.</summary>
    public async Task UpsertAsync(string tenantId, ResourceKind kind, CimiResource resource, string json, string? state, DomainEvent? domainEvent = null)
    {
        ArgumentNullException.ThrowIfNull(resource.Id);
        var cmd = new NpgsqlBatchCommand("""
            INSERT INTO cimi_resource (tenant_id, kind, id, name, state, created, updated, doc)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (tenant_id, kind, id) DO UPDATE
            SET name = EXCLUDED.name, state = EXCLUDED.state, updated = EXCLUDED.updated, doc = EXCLUDED.doc
            """);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = kind.TypeName });
        cmd.Parameters.Add(new() { Value = resource.Id });
        cmd.Parameters.Add(new() { Value = (object?)resource.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (resource.Created ?? DateTimeOffset.UtcNow).ToUniversalTime() });
        cmd.Parameters.Add(new() { Value = (resource.Updated ?? resource.Created ?? DateTimeOffset.UtcNow).ToUniversalTime() });
        cmd.Parameters.Add(new() { Value = json, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await ExecuteWithEventAsync(cmd, domainEvent, resource.Name);
    }

    /// <summary>Removes the resource's row and records its <paramref name="deleted"/> event, in one transaction.</summary>
    public async Task DeleteAsync(string tenantId, ResourceKind kind, string id, DomainEvent? deleted = null, string? name = null)
    {
        var cmd = new NpgsqlBatchCommand("DELETE FROM cimi_resource WHERE tenant_id = $1 AND kind = $2 AND id = $3");
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = kind.TypeName });
        cmd.Parameters.Add(new() { Value = id });
        await ExecuteWithEventAsync(cmd, deleted, name);
    }

    /// <summary>A batch without an explicit transaction runs as one implicit transaction (one Sync): all or nothing.</summary>
    private async Task ExecuteWithEventAsync(NpgsqlBatchCommand row, DomainEvent? domainEvent, string? name)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { row } };
        if (domainEvent is not null)
            batch.BatchCommands.Add(EventRows.Insert(EventRows.FromDomainEvent(domainEvent, name), domainEvent.Sequence));
        await batch.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// One page of a tenant's collection in creation order, and the total count.
    /// <paramref name="first"/> and <paramref name="last"/> are 1-based and inclusive, as CIMI's
    /// <c>$first</c>/<c>$last</c> are.
    /// </summary>
    public Task<ResourcePage> PageAsync(string tenantId, ResourceKind kind, int first, int last, CancellationToken ct) =>
        QueryAsync(tenantId, kind, ResourceQuery.Page(first, last), ct);

    /// <summary>
    /// The items of a tenant's collection that pass <see cref="ResourceQuery.Filter"/>, sorted by its
    /// keys (then by creation), sliced to the requested range, and how many pass in all. Filtering,
    /// sorting, counting and slicing all happen in PostgreSQL: only the page's documents are read.
    /// </summary>
    public async Task<ResourcePage> QueryAsync(string tenantId, ResourceKind kind, ResourceQuery query, CancellationToken ct)
    {
        // Deep pages of the default order (creation) start from a known position when one is at hand.
        if (query is { Filter: null, OrderBy.Count: 0 } && query.First - 1 >= DeferredJoinOffset
            && await AnchoredPageAsync(tenantId, kind, query.First - 1, Math.Max(0, query.Last - query.First + 1), ct) is { } anchored)
            return anchored;

        // $1 tenant, $2 kind; the filter's parameters follow. Each batch command needs its own copies.
        // Counts come from the tables schema 006 maintains whenever they can answer exactly: without a
        // filter, the collection's count; with a filter on the typed columns only, the sum of the
        // matching facets. Other filters count the matching rows.
        var countSql = new FilterSql(2);
        var countWhere = query.Filter is null ? null : countSql.Where(query.Filter);
        var count = new NpgsqlBatchCommand(countWhere switch
        {
            null => "SELECT coalesce((SELECT n FROM cimi_resource_count WHERE tenant_id = $1 AND kind = $2), 0)",
            _ when countSql.UsesOnlyTypedColumns =>
                $"SELECT coalesce(sum(n), 0)::bigint FROM cimi_resource_facet_count WHERE tenant_id = $1 AND kind = $2 AND {countWhere}",
            _ => $"SELECT count(*) FROM cimi_resource WHERE tenant_id = $1 AND kind = $2 AND {countWhere}",
        });
        count.Parameters.Add(new() { Value = tenantId });
        count.Parameters.Add(new() { Value = kind.TypeName });
        foreach (var p in countSql.Parameters) count.Parameters.Add(p);

        var pageSql = new FilterSql(2);
        var pageWhere = query.Filter is null ? "" : " AND " + pageSql.Where(query.Filter);
        var orderBy = pageSql.OrderBy(query.OrderBy);
        var offset = pageSql.Parameters.Count + 3;
        // Documents are converted to text (jsonb output, the costly part of reading a row) only for the
        // page itself: the conversion sits outside the subquery that skips and limits. Beyond a few
        // hundred skipped items, a deferred join: the inner query finds the page's keys (an index-only
        // scan when the filter and the order are covered by an index) without reading the skipped
        // rows, and only the page's rows are then fetched by key, in the inner query's order. For a
        // first page the join's extra planning and lookups would cost more than they save.
        // The documents come back as UTF-8 bytes, which is what the Gateway writes.
        var keys = $"""
            FROM cimi_resource WHERE tenant_id = $1 AND kind = $2{pageWhere}
            ORDER BY {orderBy} OFFSET ${offset} LIMIT ${offset + 1}
            """;
        var page = new NpgsqlBatchCommand(query.First - 1 < DeferredJoinOffset
            ? $"SELECT convert_to(p.doc::text, 'UTF8') FROM (SELECT doc {keys}) p"
            : $"""
              SELECT convert_to(r.doc::text, 'UTF8')
              FROM (SELECT p.id, row_number() OVER () AS ord FROM (SELECT id {keys}) p) k
              JOIN cimi_resource r ON r.tenant_id = $1 AND r.kind = $2 AND r.id = k.id
              ORDER BY k.ord
              """);
        page.Parameters.Add(new() { Value = tenantId });
        page.Parameters.Add(new() { Value = kind.TypeName });
        foreach (var p in pageSql.Parameters) page.Parameters.Add(p);
        page.Parameters.Add(new() { Value = (long)(query.First - 1) });
        page.Parameters.Add(new() { Value = (long)Math.Max(0, query.Last - query.First + 1) });

        return await CountAndPageAsync(dataSource, count, page, ct);
    }

    /// <summary>Runs a count and a page of documents in one round trip: the collection's total and its page.</summary>
    internal static async Task<ResourcePage> CountAndPageAsync(NpgsqlDataSource dataSource, NpgsqlBatchCommand count, NpgsqlBatchCommand page,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { count, page } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        var docs = new List<byte[]>();
        while (await reader.ReadAsync(ct)) docs.Add(reader.GetFieldValue<byte[]>(0));
        return new ResourcePage(total, docs);
    }

    /// <summary>
    /// A page of the collection in creation order read from page anchors (see <see cref="PageAnchors"/>):
    /// from anchors of the current version; from older anchors first corrected to it with the
    /// membership log; or from anchors rebuilt now when none are usable (or the corrections left them
    /// far apart) and a rebuild is due. Null when the caller must take the plain path.
    /// </summary>
    private async Task<ResourcePage?> AnchoredPageAsync(string tenantId, ResourceKind kind, long offset, long limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (_anchors.Get(tenantId, kind.TypeName) is { } anchors)
        {
            var (page, seen) = await PageFromAnchorsAsync(connection, tenantId, kind, anchors, offset, limit, ct);
            if (page is not null) return page;
            var behind = seen is { } s && s.Epoch == anchors.Epoch ? s.Version - anchors.Version : long.MaxValue;
            // Not behind: a write landed between the two statements; the plain path answers this one.
            if (behind <= 0) return null;
            if (behind < MembershipWindow && await CorrectAnchorsAsync(connection, tenantId, kind, anchors, ct) is { } corrected)
            {
                _anchors.Offer(tenantId, kind.TypeName, corrected);
                if (!corrected.Degraded || !_anchors.TryBeginRebuild(tenantId, kind.TypeName))
                    return (await PageFromAnchorsAsync(connection, tenantId, kind, corrected, offset, limit, ct)).Page;
            }
            else
            {
                _anchors.Invalidate(tenantId, kind.TypeName, anchors);
                if (!_anchors.TryBeginRebuild(tenantId, kind.TypeName)) return null;
            }
        }
        else if (!_anchors.TryBeginRebuild(tenantId, kind.TypeName)) return null;

        PageAnchors.Snapshot? built = null;
        try
        {
            built = await BuildAnchorsAsync(connection, tenantId, kind, ct);
        }
        finally
        {
            _anchors.EndRebuild(tenantId, kind.TypeName, built);
        }
        return built is null ? null : (await PageFromAnchorsAsync(connection, tenantId, kind, built, offset, limit, ct)).Page;
    }

    /// <summary>
    /// The page at <paramref name="offset"/>: from the last anchor at or before it, skipping the items
    /// in between. The page's statement itself checks the anchors' (epoch, version), so the rows and the
    /// positions belong together; the count comes from the statement before it, and a write committed
    /// between the two shows up as a page shorter than that count implies. Also returns what the count
    /// statement saw, so the caller knows how far behind the anchors are.
    /// </summary>
    private async Task<(ResourcePage? Page, (long Count, long Epoch, long Version)? Seen)> PageFromAnchorsAsync(
        NpgsqlConnection connection, string tenantId, ResourceKind kind, PageAnchors.Snapshot anchors, long offset, long limit,
        CancellationToken ct)
    {
        var index = anchors.IndexAt(offset);
        if (index < 0) return (null, null);
        var count = new NpgsqlBatchCommand("SELECT n, epoch, version FROM cimi_resource_count WHERE tenant_id = $1 AND kind = $2");
        count.Parameters.Add(new() { Value = tenantId });
        count.Parameters.Add(new() { Value = kind.TypeName });
        var page = new NpgsqlBatchCommand("""
            SELECT convert_to(p.doc::text, 'UTF8') FROM (
                SELECT doc FROM cimi_resource
                WHERE tenant_id = $1 AND kind = $2 AND (created, id) >= ($3, $4)
                  AND (SELECT epoch = $5 AND version = $6 FROM cimi_resource_count WHERE tenant_id = $1 AND kind = $2)
                ORDER BY created, id OFFSET $7 LIMIT $8) p
            """);
        page.Parameters.Add(new() { Value = tenantId });
        page.Parameters.Add(new() { Value = kind.TypeName });
        page.Parameters.Add(new() { Value = anchors.Created[index], NpgsqlDbType = NpgsqlDbType.TimestampTz });
        page.Parameters.Add(new() { Value = anchors.Ids[index] });
        page.Parameters.Add(new() { Value = anchors.Epoch });
        page.Parameters.Add(new() { Value = anchors.Version });
        page.Parameters.Add(new() { Value = offset - anchors.Positions[index] });
        page.Parameters.Add(new() { Value = limit });

        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { count, page } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        (long Count, long Epoch, long Version)? seen = await reader.ReadAsync(ct)
            ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2))
            : null;
        await reader.NextResultAsync(ct);
        var docs = new List<byte[]>();
        while (await reader.ReadAsync(ct)) docs.Add(reader.GetFieldValue<byte[]>(0));
        if (seen is not { } s || s.Epoch != anchors.Epoch || s.Version != anchors.Version
            || docs.Count != Math.Clamp(s.Count - offset, 0, limit))
            return (null, seen);
        Interlocked.Increment(ref _pagesFromAnchors);
        return (new ResourcePage(s.Count, docs), seen);
    }

    /// <summary>
    /// <paramref name="anchors"/> corrected to the collection's current version, or null when the epoch
    /// changed or the membership log no longer reaches back to the anchors' version. One statement
    /// (one snapshot) reads the version and merges the anchors' keys with the items that came (+1) or
    /// went (−1) since, in creation order: an anchor moves by the running sum of the changes before it.
    /// At equal keys the anchor sorts first, so a change to the anchor's own item does not move it.
    /// </summary>
    private static async Task<PageAnchors.Snapshot?> CorrectAnchorsAsync(NpgsqlConnection connection, string tenantId, ResourceKind kind,
        PageAnchors.Snapshot anchors, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            WITH cur AS (SELECT epoch, version FROM cimi_resource_count WHERE tenant_id = $1 AND kind = $2),
            points AS (
                SELECT a.created, a.id, 0 AS side, a.ord, 0::bigint AS delta
                FROM unnest($4::timestamptz[], $5::text[]) WITH ORDINALITY AS a(created, id, ord)
                UNION ALL
                SELECT m.created, m.id, 1, NULL, m.delta::bigint
                FROM cimi_resource_membership m, cur
                WHERE m.tenant_id = $1 AND m.kind = $2 AND m.version > $3 AND m.version <= cur.version)
            SELECT cur.epoch, cur.version, p.ord, p.shift
            FROM cur, (SELECT ord, side, sum(delta) OVER (ORDER BY created, id, side ROWS UNBOUNDED PRECEDING) AS shift
                       FROM points) p
            WHERE p.side = 0
            ORDER BY p.ord
            """, connection);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = kind.TypeName });
        cmd.Parameters.Add(new() { Value = anchors.Version });
        cmd.Parameters.Add(new() { Value = anchors.Created, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = anchors.Ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var positions = new long[anchors.Positions.Length];
        long epoch = 0, version = 0;
        var rows = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            (epoch, version) = (reader.GetInt64(0), reader.GetInt64(1));
            var index = (int)reader.GetInt64(2) - 1;
            positions[index] = anchors.Positions[index] + reader.GetInt64(3);
            rows++;
        }
        if (rows != positions.Length || epoch != anchors.Epoch || version - anchors.Version >= MembershipWindow) return null;
        return anchors with { Version = version, Positions = positions };
    }

    /// <summary>
    /// The collection's anchors and the (epoch, version) they belong to, read in one statement (one
    /// snapshot): an index-only walk of the whole collection in creation order, keeping every
    /// stride-th key. Null for a collection with no items.
    /// </summary>
    private static async Task<PageAnchors.Snapshot?> BuildAnchorsAsync(NpgsqlConnection connection, string tenantId, ResourceKind kind, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT c.epoch, c.version, c.stride, s.created, s.id
            FROM (SELECT epoch, version, greatest($3, (n + $4 - 1) / $4) AS stride FROM cimi_resource_count
                  WHERE tenant_id = $1 AND kind = $2) c,
                 (SELECT created, id, row_number() OVER (ORDER BY created, id) - 1 AS pos FROM cimi_resource
                  WHERE tenant_id = $1 AND kind = $2) s
            WHERE s.pos % c.stride = 0
            ORDER BY s.pos
            """, connection);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = kind.TypeName });
        cmd.Parameters.Add(new() { Value = (long)PageAnchors.MinStride });
        cmd.Parameters.Add(new() { Value = (long)PageAnchors.MaxAnchors });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        long epoch = 0, version = 0, stride = 0;
        var created = new List<DateTime>();
        var ids = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            (epoch, version, stride) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            created.Add(reader.GetDateTime(3));
            ids.Add(reader.GetString(4));
        }
        if (ids.Count == 0) return null;
        var positions = Enumerable.Range(0, ids.Count).Select(i => i * stride).ToArray();
        return new PageAnchors.Snapshot(epoch, version, (int)stride, positions, [.. created], [.. ids]);
    }

    /// <summary>
    /// The resources of <paramref name="kind"/>, in every tenant, whose state is one of
    /// <paramref name="states"/> (and, when given, last written before <paramref name="updatedBefore"/>,
    /// oldest first), as (tenant, local id): the sweeps that act on resources in a given state (waking
    /// Machines caught mid-operation, purging finished Jobs) find them here rather than in every grain.
    /// </summary>
    public async Task<IReadOnlyList<(string TenantId, string LocalId)>> KeysInStatesAsync(
        ResourceKind kind, IReadOnlyCollection<string> states, DateTimeOffset? updatedBefore, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT tenant_id, id FROM cimi_resource
            WHERE kind = $1 AND state = ANY($2) AND ($3::timestamptz IS NULL OR updated < $3)
            ORDER BY updated LIMIT $4
            """);
        cmd.Parameters.Add(new() { Value = kind.TypeName });
        cmd.Parameters.Add(new() { Value = states.ToArray() });
        cmd.Parameters.Add(new() { Value = (object?)updatedBefore?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = limit });
        var found = new List<(string, string)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (kind.LocalIdOf(reader.GetString(1)) is { } localId) found.Add((reader.GetString(0), localId));
        }
        return found;
    }

    /// <summary>
    /// The tenant's documents with the given relative ids, whatever their kind, in one query ($expand
    /// resolves every reference of a response this way instead of asking one grain per reference).
    /// Ids that name nothing are simply absent from the answer.
    /// </summary>
    public async Task<IReadOnlyList<StoredDocument>> GetManyAsync(string tenantId, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        await using var cmd = dataSource.CreateCommand(
            "SELECT kind, id, doc::text FROM cimi_resource WHERE tenant_id = $1 AND id = ANY($2)");
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var found = new List<StoredDocument>();
        while (await reader.ReadAsync(ct)) found.Add(new StoredDocument(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return found;
    }
}
