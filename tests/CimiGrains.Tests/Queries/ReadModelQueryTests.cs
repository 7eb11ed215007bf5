using CimiGrains.Grains.ReadModel;
using CimiGrains.ReadModel;
using CimiGrains.ReadModel.Filter;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Queries;

/// <summary>One migrated database with a fixed set of Machines, shared by the query semantics tests.</summary>
public sealed class ReadModelFixture() : ReadModelDatabase("queries")
{
    public const string Tenant = "q1";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // m0..m9: cpu 1..10, every third STOPPED, names z0..z9 (descending creation order by name is the reverse).
        for (var i = 0; i < 10; i++)
        {
            var machine = new Machine
            {
                Id = $"machines/m{i}", Name = $"z{9 - i}", Created = start.AddHours(i),
                State = i % 3 == 0 ? MachineStateName.STOPPED : MachineStateName.STARTED,
                Cpu = i + 1, Memory = 262144 * (i % 2 + 1),
                Description = i == 4 ? "2024-06-01T00:00:00Z" : i == 5 ? "not a date" : null,
                Properties = i < 4 ? new Dictionary<string, string> { ["owner"] = i % 2 == 0 ? "ops" : "dev", ["weird 'key"] = "x" } : null,
                MachineConfig = new ResourceRef(i < 5 ? "machineConfigs/small" : "machineConfigs/large"),
            };
            await ReadModel.UpsertAsync(Tenant, ResourceKind.Machine, machine, machine.State.ToString());
        }
        // Another tenant's machine and another kind must never show up.
        await ReadModel.UpsertAsync("q2", ResourceKind.Machine, new Machine { Id = "machines/other", Name = "z0", Cpu = 1, Created = start }, "STARTED");
        await ReadModel.UpsertAsync(Tenant, ResourceKind.MachineConfiguration,
            new MachineConfiguration { Id = "machineConfigs/small", Name = "small", Cpu = 1, Created = start }, null);
    }
}

/// <summary>$filter, $orderby and $first/$last evaluated by PostgreSQL over real documents.</summary>
public sealed class ReadModelQueryTests(ReadModelFixture fixture) : IClassFixture<ReadModelFixture>
{
    private async Task<(long Count, List<string> Ids)> Query(string? filter, string? orderBy = null, int first = 1, int last = 1000)
    {
        var query = new ResourceQuery(filter is null ? null : FilterParser.Parse(filter),
            orderBy is null ? [] : FilterParser.ParseOrderBy(orderBy), first, last);
        var page = await fixture.ReadModel.QueryAsync(ReadModelFixture.Tenant, ResourceKind.Machine, query, CancellationToken.None);
        var ids = page.Documents.Select(d => System.Text.Json.Nodes.JsonNode.Parse(d)!["id"]!.GetValue<string>()["machines/".Length..]).ToList();
        return (page.Count, ids);
    }

    [Theory]
    [InlineData("state='STOPPED'", "m0,m3,m6,m9")]
    [InlineData("state!='STOPPED'", "m1,m2,m4,m5,m7,m8")]
    [InlineData("cpu>=8", "m7,m8,m9")]
    [InlineData("cpu>8", "m8,m9")]
    [InlineData("cpu<2", "m0")]
    [InlineData("cpu<=2", "m0,m1")]
    [InlineData("3=cpu", "m2")]
    [InlineData("cpu>=2 and state='STOPPED'", "m3,m6,m9")]
    [InlineData("cpu=1 or cpu=10 and state='STARTED'", "m0")]
    [InlineData("(cpu=1 or cpu=10) and state='STOPPED'", "m0,m9")]
    [InlineData("memory=524288 and cpu<5", "m1,m3")]
    [InlineData("name>'z6'", "m0,m1,m2")]
    [InlineData("name='z9'", "m0")]
    [InlineData("created>=2024-01-01T05:00:00Z", "m5,m6,m7,m8,m9")]
    [InlineData("created<2024-01-01T02:00:00+01:00", "m0")]
    [InlineData("created<2024-01-01T03:00:00+01:00", "m0,m1")]
    [InlineData("description>2024-01-01", "m4")]
    [InlineData("machineConfig/href='machineConfigs/large'", "m5,m6,m7,m8,m9")]
    [InlineData("property['owner']='ops'", "m0,m2")]
    [InlineData("property['weird \\'key']='x'", "m0,m1,m2,m3")]
    [InlineData("property['owner']!='ops'", "m1,m3")]
    public async Task Filters_select_exactly_the_matching_machines_of_the_tenant(string filter, string expected)
    {
        var (count, ids) = await Query(filter);
        Assert.Equal(expected, string.Join(',', ids));
        Assert.Equal(ids.Count, count);
    }

    [Theory]
    [InlineData("cpu='3'")]
    [InlineData("state=3")]
    [InlineData("state=true")]
    [InlineData("cpu>2024-01-01")]
    [InlineData("nothere='x'")]
    [InlineData("name='x\\' OR \\'1\\'=\\'1'")]
    public async Task Comparisons_of_another_type_or_absent_attributes_match_nothing_and_never_fail(string filter)
    {
        var (count, ids) = await Query(filter);
        Assert.Empty(ids);
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task Orderby_sorts_by_typed_values_with_creation_as_tie_breaker()
    {
        Assert.Equal("m9,m8,m7", string.Join(',', (await Query(null, "cpu:desc", 1, 3)).Ids));
        Assert.Equal("m9,m8,m7", string.Join(',', (await Query(null, "name", 1, 3)).Ids));
        Assert.Equal("m0,m1,m2", string.Join(',', (await Query(null, "name:desc", 1, 3)).Ids));
        // Within equal states, creation order decides.
        Assert.Equal("m1,m2,m4,m5,m7,m8,m0,m3,m6,m9", string.Join(',', (await Query(null, "state")).Ids));
        Assert.Equal("m1,m3,m5,m7,m9,m0,m2,m4,m6,m8", string.Join(',', (await Query(null, "memory:desc,created")).Ids));
        // Numbers sort as numbers: 10 after 9, not after 1.
        Assert.Equal("m8,m9", string.Join(',', (await Query(null, "cpu", 9, 10)).Ids));
    }

    [Fact]
    public async Task First_and_last_page_the_filtered_sorted_result_while_count_covers_all_of_it()
    {
        var (count, ids) = await Query("state='STARTED'", "cpu:desc", 2, 4);
        Assert.Equal(6, count);
        Assert.Equal("m7,m5,m4", string.Join(',', ids));
        var (emptyCount, empty) = await Query("state='STARTED'", null, 7, 10);
        Assert.Equal(6, emptyCount);
        Assert.Empty(empty);
    }

    [Fact]
    public async Task Expand_lookups_fetch_documents_of_any_kind_by_id_in_one_query_and_only_of_the_tenant()
    {
        var found = await fixture.ReadModel.GetManyAsync(ReadModelFixture.Tenant, ["machineConfigs/small", "machines/m1", "machines/other", "nothing/x"], CancellationToken.None);
        Assert.Equal(["MachineConfiguration:machineConfigs/small", "Machine:machines/m1"], found.Select(f => $"{f.Kind}:{f.Id}").OrderByDescending(s => s.Length).ThenBy(s => s));
    }
}
