using System.Text.Json.Nodes;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Machines;

namespace CimiGrains.Tests.ReadModel;

/// <summary>
/// Deep pages of the default order read from page anchors (<see cref="PageAnchors"/>): the same items
/// as a plain OFFSET over the same rows, and never from anchors of an earlier version of the collection.
/// </summary>
public sealed class PageAnchorTests() : ReadModelDatabase("anchors")
{
    private static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private Task Upsert(string tenant, int i, DateTimeOffset created) =>
        ReadModel.UpsertAsync(tenant, ResourceKind.Machine,
            new Machine { Id = $"machines/m{i:D5}", Name = $"n{i:D5}", Cpu = 1, State = MachineStateName.STARTED, Created = created }, "STARTED");

    /// <summary>The ids of a page as a plain OFFSET reads them, independently of the read model.</summary>
    private async Task<List<string>> Expected(string tenant, int first, int last)
    {
        await using var cmd = DataSource.CreateCommand(
            "SELECT id FROM cimi_resource WHERE tenant_id = $1 AND kind = 'Machine' ORDER BY created, id OFFSET $2 LIMIT $3");
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = (long)(first - 1) });
        cmd.Parameters.Add(new() { Value = (long)(last - first + 1) });
        var ids = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
    }

    private async Task AssertPage(string tenant, int first, int last)
    {
        var page = await ReadModel.PageAsync(tenant, ResourceKind.Machine, first, last, CancellationToken.None);
        Assert.Equal(await Expected(tenant, first, last), page.Documents.Select(d => JsonNode.Parse(d)!["id"]!.GetValue<string>()));
        await using var cmd = DataSource.CreateCommand("SELECT count(*) FROM cimi_resource WHERE tenant_id = $1 AND kind = 'Machine'");
        cmd.Parameters.Add(new() { Value = tenant });
        Assert.Equal(Convert.ToInt64(await cmd.ExecuteScalarAsync()), page.Count);
    }

    private static IEnumerable<(int First, int Last)> DeepPages(int count)
    {
        var deep = ResourceReadModel.DeferredJoinOffset;
        return [(deep + 1, deep + 100), (deep + 37, deep + 136), (deep + 100, deep + 100), (count - 250, count - 1),
            (count - 5, count + 20), (count + 1, count + 10), (deep + 1, count + 500)];
    }

    [Fact]
    public async Task Deep_pages_from_anchors_hold_the_same_items_as_a_plain_offset()
    {
        const int Count = ResourceReadModel.DeferredJoinOffset + 737;
        // Many items share a creation time, so the id orders them among themselves (and the anchors too).
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => await Upsert("a1", i, Start.AddMinutes(i % 7)));
        var before = ReadModel.PagesFromAnchors;
        foreach (var (first, last) in DeepPages(Count)) await AssertPage("a1", first, last);
        Assert.Equal(before + DeepPages(Count).Count(), ReadModel.PagesFromAnchors);
        // Another tenant's collection has anchors of its own.
        for (var i = 0; i < ResourceReadModel.DeferredJoinOffset + 10; i++) await Upsert("a2", i, Start.AddSeconds(-i));
        await AssertPage("a2", ResourceReadModel.DeferredJoinOffset + 1, ResourceReadModel.DeferredJoinOffset + 100);
        await AssertPage("a1", ResourceReadModel.DeferredJoinOffset + 1, ResourceReadModel.DeferredJoinOffset + 100);
    }

    [Fact]
    public async Task Anchors_of_an_earlier_version_are_corrected_by_the_membership_log()
    {
        const int Count = ResourceReadModel.DeferredJoinOffset + 400;
        for (var i = 0; i < Count; i++) await Upsert("v1", i, Start.AddSeconds(i));
        await AssertPage("v1", ResourceReadModel.DeferredJoinOffset + 1, ResourceReadModel.DeferredJoinOffset + 100);

        // Items that move every later position: created before all others, and one deleted in the middle.
        await Upsert("v1", Count, Start.AddDays(-1));
        await Upsert("v1", Count + 1, Start.AddDays(-2));
        await ReadModel.DeleteAsync("v1", ResourceKind.Machine, "machines/m00300");
        // Items after the offset, and an update that moves nothing (a state change is the common write).
        await Upsert("v1", Count + 2, Start.AddDays(1));
        await ReadModel.DeleteAsync("v1", ResourceKind.Machine, "machines/m00890");
        await ReadModel.UpsertAsync("v1", ResourceKind.Machine,
            new Machine { Id = "machines/m00010", Name = "renamed", Cpu = 4, State = MachineStateName.STOPPED, Created = Start.AddSeconds(10) }, "STOPPED");

        var before = ReadModel.PagesFromAnchors;
        foreach (var (first, last) in DeepPages(Count + 1)) await AssertPage("v1", first, last);
        Assert.Equal(before + DeepPages(Count + 1).Count(), ReadModel.PagesFromAnchors);

        // Corrected anchors are corrected again: an anchor's own item goes (m00600 is at a multiple of
        // the stride), and items come before it and among the ones created at the same time.
        await ReadModel.DeleteAsync("v1", ResourceKind.Machine, "machines/m00600");
        for (var i = 0; i < 3; i++) await Upsert("v1", Count + 10 + i, Start.AddSeconds(599));
        await Upsert("v1", Count + 20, Start.AddSeconds(-5));
        before = ReadModel.PagesFromAnchors;
        foreach (var (first, last) in DeepPages(Count + 4)) await AssertPage("v1", first, last);
        Assert.Equal(before + DeepPages(Count + 4).Count(), ReadModel.PagesFromAnchors);
    }

    [Fact]
    public async Task Anchors_far_behind_are_rebuilt_and_the_membership_log_keeps_only_its_window()
    {
        const int Count = ResourceReadModel.DeferredJoinOffset + 100;
        for (var i = 0; i < Count; i++) await Upsert("f1", i, Start.AddSeconds(i));
        await AssertPage("f1", ResourceReadModel.DeferredJoinOffset + 1, ResourceReadModel.DeferredJoinOffset + 100);

        // More changes than the log keeps, all before the offset.
        for (var i = 0; i < ResourceReadModel.MembershipWindow + 150; i++) await Upsert("f1", Count + i, Start.AddSeconds(-1 - i));
        foreach (var (first, last) in DeepPages(Count + ResourceReadModel.MembershipWindow + 150)) await AssertPage("f1", first, last);

        await using var cmd = DataSource.CreateCommand("SELECT count(*) FROM cimi_resource_membership WHERE tenant_id = 'f1'");
        Assert.InRange(Convert.ToInt64(await cmd.ExecuteScalarAsync()), ResourceReadModel.MembershipWindow, ResourceReadModel.MembershipWindow + 100);
    }

    [Fact]
    public async Task A_collection_version_grows_with_every_insert_and_delete_but_not_with_updates()
    {
        async Task<(long Epoch, long Version)> Version()
        {
            await using var cmd = DataSource.CreateCommand("SELECT epoch, version FROM cimi_resource_count WHERE tenant_id = 'w1' AND kind = 'Machine'");
            await using var reader = await cmd.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            return (reader.GetInt64(0), reader.GetInt64(1));
        }
        await Upsert("w1", 1, Start);
        var v1 = await Version();
        await Upsert("w1", 1, Start);
        Assert.Equal(v1, await Version());
        await Upsert("w1", 2, Start);
        Assert.Equal((v1.Epoch, v1.Version + 1), await Version());
        await ReadModel.DeleteAsync("w1", ResourceKind.Machine, "machines/m00002");
        Assert.Equal((v1.Epoch, v1.Version + 2), await Version());
        // Another collection has an epoch of its own.
        await Upsert("w2", 1, Start);
        await using var cmd = DataSource.CreateCommand("SELECT epoch FROM cimi_resource_count WHERE tenant_id = 'w2' AND kind = 'Machine'");
        Assert.NotEqual(v1.Epoch, (long)(await cmd.ExecuteScalarAsync())!);
    }
}
