using CimiGrains.Grains.Persistence;
using CimiGrains.Grains.ReadModel;
using CimiGrains.ReadModel;
using CimiGrains.ReadModel.Filter;
using CimiGrains.Machines;
using Microsoft.Extensions.Logging.Abstractions;

namespace CimiGrains.Tests.ReadModel;

/// <summary>
/// The maintained collection counts (schema 006) that unfiltered pages report instead of counting:
/// exact after every insert, update and delete, under concurrent writers, and after a backfill.
/// </summary>
public sealed class ResourceCountTests() : ReadModelDatabase("counts")
{
    private static Machine NewMachine(string id, int cpu, MachineStateName state, long? memory) =>
        new() { Id = $"machines/{id}", Name = id, Cpu = cpu, Memory = memory, State = state, Created = DateTimeOffset.UtcNow };

    private Task Upsert(string tenant, string id, int cpu = 1, MachineStateName state = MachineStateName.STARTED, long? memory = 1024) =>
        ReadModel.UpsertAsync(tenant, ResourceKind.Machine, NewMachine(id, cpu, state, memory), state.ToString());

    private async Task<long> PageCount(string tenant) =>
        (await ReadModel.PageAsync(tenant, ResourceKind.Machine, 1, 1, CancellationToken.None)).Count;

    private async Task<long> Scalar(string sql, string tenant)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        cmd.Parameters.Add(new() { Value = tenant });
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    private async Task<long> FilteredCount(string tenant, string filter) =>
        (await ReadModel.QueryAsync(tenant, ResourceKind.Machine, new ResourceQuery(FilterParser.Parse(filter), [], 1, 1), CancellationToken.None)).Count;

    /// <summary>Every filter whose count the facets answer, against count(*) over the same rows.</summary>
    private async Task AssertFacetCountsExact(string tenant)
    {
        string[] filters = ["state='STARTED'", "state='STOPPED'", "state!='STARTED'", "cpu>=4", "cpu<4 or state='STOPPED'",
            "state='STARTED' and cpu>=4", "memory=1024", "memory>1024 and cpu=2", "state='STARTED' and (cpu=1 or memory<2048)"];
        foreach (var filter in filters)
        {
            var sql = new FilterSql(1);
            var where = sql.Where(FilterParser.Parse(filter));
            Assert.True(sql.UsesOnlyTypedColumns, filter);
            await using var cmd = DataSource.CreateCommand($"SELECT count(*) FROM cimi_resource WHERE tenant_id = $1 AND kind = 'Machine' AND {where}");
            cmd.Parameters.Add(new() { Value = tenant });
            foreach (var p in sql.Parameters) cmd.Parameters.Add(p);
            Assert.Equal(Convert.ToInt64(await cmd.ExecuteScalarAsync()), await FilteredCount(tenant, filter));
        }
    }

    private Task<long> Counted(string tenant) =>
        Scalar("SELECT count(*) FROM cimi_resource WHERE tenant_id = $1 AND kind = 'Machine'", tenant);

    [Fact]
    public async Task Count_follows_creates_updates_and_deletes_exactly()
    {
        Assert.Equal(0, await PageCount("c1"));
        await Upsert("c1", "a");
        await Upsert("c1", "b");
        await Upsert("c1", "c");
        Assert.Equal(3, await PageCount("c1"));
        // An update of an existing row (the ON CONFLICT branch) is not a new item.
        await Upsert("c1", "a", cpu: 8);
        await Upsert("c1", "b", cpu: 8);
        Assert.Equal(3, await PageCount("c1"));
        await ReadModel.DeleteAsync("c1", ResourceKind.Machine, "machines/a");
        // Deleting what is already gone changes nothing.
        await ReadModel.DeleteAsync("c1", ResourceKind.Machine, "machines/a");
        await ReadModel.DeleteAsync("c1", ResourceKind.Machine, "machines/nothing");
        Assert.Equal(2, await PageCount("c1"));
        // Other tenants and kinds are counted apart.
        await Upsert("c2", "a");
        await ReadModel.UpsertAsync("c1", ResourceKind.MachineConfiguration,
            new MachineConfiguration { Id = "machineConfigs/x", Name = "x", Cpu = 1, Created = DateTimeOffset.UtcNow }, null);
        Assert.Equal(2, await PageCount("c1"));
        Assert.Equal(1, await PageCount("c2"));
    }

    [Fact]
    public async Task Count_stays_exact_under_concurrent_upserts_and_deletes_of_the_same_items()
    {
        const string Tenant = "race";
        // 8 writers over 40 shared ids: every id is inserted, updated and deleted many times, concurrently.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var i = 0; i < 150; i++)
            {
                var id = $"m{random.Next(40)}";
                if (random.Next(3) == 0) await ReadModel.DeleteAsync(Tenant, ResourceKind.Machine, $"machines/{id}");
                else await Upsert(Tenant, id, cpu: 1 << random.Next(4), random.Next(2) == 0 ? MachineStateName.STARTED : MachineStateName.STOPPED,
                    random.Next(3) == 0 ? null : 1024L << random.Next(3));
            }
        })));
        var counted = await Counted(Tenant);
        Assert.Equal(counted, await PageCount(Tenant));
        Assert.InRange(counted, 1, 40);
        await AssertFacetCountsExact(Tenant);
    }

    [Fact]
    public async Task Filtered_counts_on_typed_attributes_follow_state_changes_and_deletes()
    {
        for (var i = 0; i < 6; i++) await Upsert("s1", $"m{i}", cpu: 1 << (i % 4), memory: i % 2 == 0 ? 1024 : 4096);
        await AssertFacetCountsExact("s1");
        Assert.Equal(6, await FilteredCount("s1", "state='STARTED'"));
        // State changes are updates that move a row from one facet to another.
        await Upsert("s1", "m1", cpu: 2, state: MachineStateName.STOPPED, memory: 4096);
        await Upsert("s1", "m2", cpu: 4, state: MachineStateName.STOPPED, memory: 1024);
        Assert.Equal(4, await FilteredCount("s1", "state='STARTED'"));
        Assert.Equal(2, await FilteredCount("s1", "state='STOPPED'"));
        await AssertFacetCountsExact("s1");
        await ReadModel.DeleteAsync("s1", ResourceKind.Machine, "machines/m2");
        // A Machine without memory counts under NULL memory: it matches no memory comparison.
        await Upsert("s1", "m3", cpu: 8, memory: null);
        Assert.Equal(1, await FilteredCount("s1", "state='STOPPED'"));
        await AssertFacetCountsExact("s1");
    }

    [Fact]
    public async Task Filtered_pages_count_the_matching_rows_not_the_collection()
    {
        for (var i = 0; i < 6; i++) await Upsert("f1", $"m{i}", cpu: i);
        var query = new ResourceQuery(FilterParser.Parse("cpu>=4"), [], 1, 10);
        var page = await ReadModel.QueryAsync("f1", ResourceKind.Machine, query, CancellationToken.None);
        Assert.Equal(2, page.Count);
        Assert.Equal(2, page.Documents.Count);
    }

    [Fact]
    public async Task Migration_backfills_counts_once_and_rerunning_it_changes_nothing()
    {
        for (var i = 0; i < 5; i++) await Upsert("b1", $"m{i}");
        // A database from before schema 006: rows but neither triggers nor counts.
        await using (var cmd = DataSource.CreateCommand("""
            DROP TRIGGER cimi_resource_counts_insert ON cimi_resource;
            DROP TRIGGER cimi_resource_counts_update ON cimi_resource;
            DROP TRIGGER cimi_resource_counts_delete ON cimi_resource;
            DROP TRIGGER cimi_resource_counts_truncate ON cimi_resource;
            DELETE FROM cimi_resource_count;
            DELETE FROM cimi_resource_facet_count;
            """))
            await cmd.ExecuteNonQueryAsync();
        await Upsert("b1", "m5");

        await SchemaMigrator.MigrateAsync(Postgres, NullLogger.Instance);
        Assert.Equal(6, await PageCount("b1"));
        Assert.Equal(6, await FilteredCount("b1", "cpu>=1"));
        await SchemaMigrator.MigrateAsync(Postgres, NullLogger.Instance);
        Assert.Equal(6, await PageCount("b1"));
        await Upsert("b1", "m6");
        Assert.Equal(7, await PageCount("b1"));
        Assert.Equal(7, await FilteredCount("b1", "cpu>=1"));
    }

    [Fact]
    public async Task Pages_at_any_offset_return_the_collection_in_creation_order_with_or_without_the_deferred_join()
    {
        const int Count = ResourceReadModel.DeferredJoinOffset + 120;
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // Many items share a creation time, so the id decides among them.
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            await ReadModel.UpsertAsync("p1", ResourceKind.Machine,
                new Machine { Id = $"machines/m{i:D4}", Name = $"n{i:D4}", Cpu = 1, State = MachineStateName.STARTED, Created = start.AddMinutes(i % 5) }, "STARTED"));
        var expected = Enumerable.Range(0, Count).OrderBy(i => i % 5).ThenBy(i => i).Select(i => $"machines/m{i:D4}").ToList();
        foreach (var (first, last) in new[] { (1, 7), (8, 100), (ResourceReadModel.DeferredJoinOffset - 3, ResourceReadModel.DeferredJoinOffset + 4),
                     (ResourceReadModel.DeferredJoinOffset + 1, ResourceReadModel.DeferredJoinOffset + 100), (Count - 5, Count + 10), (Count + 1, Count + 5) })
        {
            var page = await ReadModel.PageAsync("p1", ResourceKind.Machine, first, last, CancellationToken.None);
            Assert.Equal(Count, page.Count);
            var ids = page.Documents.Select(d => System.Text.Json.Nodes.JsonNode.Parse(d)!["id"]!.GetValue<string>());
            Assert.Equal(expected.Skip(first - 1).Take(last - first + 1), ids);
        }
        // A filtered, sorted deep page goes through the join too.
        var filtered = await ReadModel.QueryAsync("p1", ResourceKind.Machine,
            new ResourceQuery(FilterParser.Parse("state='STARTED'"), FilterParser.ParseOrderBy("name:desc"), ResourceReadModel.DeferredJoinOffset + 1, Count),
            CancellationToken.None);
        var byName = Enumerable.Range(0, Count).Select(i => $"n{i:D4}").OrderDescending(StringComparer.Ordinal).Skip(ResourceReadModel.DeferredJoinOffset);
        Assert.Equal(byName, filtered.Documents.Select(d => System.Text.Json.Nodes.JsonNode.Parse(d)!["name"]!.GetValue<string>()));
    }
}
