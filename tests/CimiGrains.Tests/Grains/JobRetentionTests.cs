using CimiGrains.Jobs;
using Npgsql;

namespace CimiGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class JobRetentionTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task Finished_jobs_older_than_the_retention_are_deleted_with_their_rows_and_running_ones_are_kept()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var target = new ResourceRef("machines/m");
        var finished = fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "finished"));
        var running = fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "running"));
        await finished.Begin("add", target, null, "creating");
        await finished.Finish(false, "no host");
        await running.Begin("add", target, null, "creating");
        var retention = fixture.Grains.GetGrain<IJobRetentionGrain>(0);

        // Finished just now: younger than a retention of an hour, so kept.
        await retention.Purge(DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(JobStateName.FAILED, (await finished.Get()).State);
        Assert.Equal(2, await RowsAsync(tenant));

        await retention.Purge(DateTimeOffset.UtcNow.AddSeconds(1));
        var gone = await Assert.ThrowsAsync<CimiException>(() => finished.Get());
        Assert.Equal(CimiErrorKind.NotFound, gone.Kind);
        Assert.Equal(JobStateName.QUEUED, (await running.Get()).State);
        Assert.Equal(1, await RowsAsync(tenant));
    }

    private async Task<long> RowsAsync(string tenant)
    {
        await using var cmd = fixture.DataSource.CreateCommand("SELECT count(*) FROM cimi_resource WHERE tenant_id = $1 AND kind = 'Job'");
        cmd.Parameters.Add(new NpgsqlParameter { Value = tenant });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
