using System.Text.Json.Nodes;
using CimiGrains.Gateway.Http;
using CimiGrains.ReadModel;
using CimiGrains.ReadModel.Filter;
using CimiGrains.Machines;
using CimiGrains.Tests.Queries;

namespace CimiGrains.Tests.Http;

/// <summary>
/// The in-memory evaluator (used by the ResourceMetadata collection) gives exactly the answers
/// PostgreSQL gives for the same documents: the same filters, orders and pages, run both ways.
/// </summary>
public sealed class InMemoryQueryTests(ReadModelFixture fixture) : IClassFixture<ReadModelFixture>
{
    public static TheoryData<string?, string?, int, int> Queries => new()
    {
        { "state='STOPPED'", null, 1, 1000 },
        { "state!='STOPPED'", null, 1, 1000 },
        { "cpu>=8", null, 1, 1000 },
        { "cpu>8", null, 1, 1000 },
        { "cpu<2", null, 1, 1000 },
        { "cpu<=2", null, 1, 1000 },
        { "3=cpu", null, 1, 1000 },
        { "10>cpu", null, 1, 1000 },
        { "cpu>=2 and state='STOPPED'", null, 1, 1000 },
        { "cpu=1 or cpu=10 and state='STARTED'", null, 1, 1000 },
        { "(cpu=1 or cpu=10) and state='STOPPED'", null, 1, 1000 },
        { "memory=524288 and cpu<5", null, 1, 1000 },
        { "name>'z6'", null, 1, 1000 },
        { "name<='z3'", null, 1, 1000 },
        { "name='z9'", null, 1, 1000 },
        { "created>=2024-01-01T05:00:00Z", null, 1, 1000 },
        { "created<2024-01-01T02:00:00+01:00", null, 1, 1000 },
        { "created<2024-01-01T03:00:00+01:00", null, 1, 1000 },
        { "created!=2024-01-01T03:00:00Z", null, 1, 1000 },
        { "description>2024-01-01", null, 1, 1000 },
        { "description='not a date'", null, 1, 1000 },
        { "description!='x'", null, 1, 1000 },
        { "machineConfig/href='machineConfigs/large'", null, 1, 1000 },
        { "machineConfig/href!='machineConfigs/large'", null, 1, 1000 },
        { "property['owner']='ops'", null, 1, 1000 },
        { "property['weird \\'key']='x'", null, 1, 1000 },
        { "property['owner']!='ops'", null, 1, 1000 },
        { "property['owner']>'dev'", null, 1, 1000 },
        { "cpu='3'", null, 1, 1000 },
        { "state=3", null, 1, 1000 },
        { "state=true", null, 1, 1000 },
        { "cpu>2024-01-01", null, 1, 1000 },
        { "nothere='x'", null, 1, 1000 },
        { "nothere!='x'", null, 1, 1000 },
        { "name='x\\' OR \\'1\\'=\\'1'", null, 1, 1000 },
        { null, "cpu:desc", 1, 3 },
        { null, "name", 1, 3 },
        { null, "name:desc", 1, 3 },
        { null, "state", 1, 1000 },
        { null, "memory:desc,created", 1, 1000 },
        { null, "cpu", 9, 10 },
        { null, "description", 1, 1000 },
        { null, "description:desc", 1, 1000 },
        { null, "property['owner']:desc,cpu:desc", 1, 1000 },
        { null, "machineConfig/href:desc", 1, 1000 },
        { null, "created:desc", 1, 1000 },
        { "state='STARTED'", "cpu:desc", 2, 4 },
        { "state='STARTED'", null, 7, 10 },
    };

    [Theory, MemberData(nameof(Queries))]
    public async Task Filters_orders_and_pages_answer_as_the_read_model_does(string? filter, string? orderBy, int first, int last)
    {
        var query = new CollectionQuery(first, last, filter is null ? null : FilterParser.Parse(filter),
            orderBy is null ? [] : FilterParser.ParseOrderBy(orderBy));
        var sql = await fixture.ReadModel.QueryAsync(ReadModelFixture.Tenant, ResourceKind.Machine, query.ToResourceQuery(), CancellationToken.None);
        var all = await fixture.ReadModel.QueryAsync(ReadModelFixture.Tenant, ResourceKind.Machine, ResourceQuery.Page(1, 1000), CancellationToken.None);

        var (count, page) = InMemoryQuery.Run(all.Documents.Select(d => JsonNode.Parse(d)!.AsObject()).Reverse(), query);

        Assert.Equal(sql.Count, count);
        Assert.Equal(sql.Documents.Select(Id), page.Select(d => d["id"]!.GetValue<string>()));
    }

    private static string Id(byte[] json) => JsonNode.Parse(json)!["id"]!.GetValue<string>();
}
