using CimiGrains.Jobs;

namespace CimiGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class NestedJobTests(GrainClusterFixture fixture)
{
    private static readonly ResourceRef Target = new("systems/s");

    private IJobGrain Job(string tenant, string id) => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, id));

    private async Task<(IJobGrain Parent, IJobGrain A, IJobGrain B)> FamilyAsync(string tenant,
        NestedJobFailure nestedFailure = NestedJobFailure.FailParent)
    {
        var parent = Job(tenant, "p");
        await parent.Begin("add", Target, null, "Creating the System.", nestedFailure: nestedFailure);
        await Job(tenant, "a").Begin("add", new ResourceRef("machines/a"), null, "Creating a Machine.", parentLocalId: "p");
        await Job(tenant, "b").Begin("add", new ResourceRef("volumes/b"), null, "Creating a Volume.", parentLocalId: "p");
        return (parent, Job(tenant, "a"), Job(tenant, "b"));
    }

    [Fact]
    public async Task A_parent_lists_its_nested_Jobs_and_each_names_its_parent()
    {
        var (parent, a, b) = await FamilyAsync(GrainClusterFixture.NewTenant());

        Assert.Equal([new ResourceRef("jobs/a"), new ResourceRef("jobs/b")], (await parent.Get()).NestedJobs);
        Assert.Equal(new ResourceRef("jobs/p"), (await a.Get()).ParentJob);
        Assert.Equal(new ResourceRef("jobs/p"), (await b.Get()).ParentJob);
        Assert.Equal(JobStateName.QUEUED, (await parent.Get()).State);
    }

    [Fact]
    public async Task The_parent_follows_its_nested_Jobs_progress_and_succeeds_when_all_have()
    {
        var (parent, a, b) = await FamilyAsync(GrainClusterFixture.NewTenant());

        await a.Progress(60, "half way");
        var running = await Eventually.Until(() => parent.Get(), j => j.State == JobStateName.RUNNING, "the parent to run");
        Assert.Equal(30, running.Progress);

        await a.Finish(true, "done");
        await Eventually.Until(() => parent.Get(), j => j.Progress == 50, "the parent's progress to follow a finished nested Job");
        Assert.Equal(JobStateName.RUNNING, (await parent.Get()).State);

        await b.Finish(true, "done");
        var done = await Eventually.Until(() => parent.Get(), j => j.State == JobStateName.SUCCESS, "the parent to succeed");
        Assert.Equal(100, done.Progress);
        Assert.Equal(0, done.ReturnCode);
    }

    [Fact]
    public async Task A_parent_follows_its_nested_Jobs_by_their_notices_without_reading_them_on_each()
    {
        var tenant = GrainClusterFixture.NewTenant();
        NestedJobReads.Watch(tenant);
        try
        {
            const int count = 30;
            var parent = Job(tenant, "p");
            await parent.Begin("add", Target, null, "Creating the System.");
            var nested = Enumerable.Range(0, count).Select(i => Job(tenant, $"n{i}")).ToList();
            foreach (var (job, i) in nested.Select((j, i) => (j, i)))
                await job.Begin("add", new ResourceRef($"machines/m{i}"), null, "Creating a Machine.", parentLocalId: "p");

            await Task.WhenAll(nested.Select(j => j.Progress(50, "half way")));
            await Task.WhenAll(nested.Select(j => j.Finish(true, "done")));

            var done = await Eventually.Until(() => parent.Get(), j => j.State == JobStateName.SUCCESS, "the parent to succeed");
            Assert.Equal($"All {count} nested Jobs succeeded.", done.StatusMessage);
            // At most one read of each (the follow reminder, should it tick meanwhile); reading them all again on each of
            // their 2 × count notices would be some 2 × count² reads.
            Assert.True(NestedJobReads.Count(tenant) <= count, $"{NestedJobReads.Count(tenant)} reads of nested Jobs for {count} nested Jobs");
        }
        finally
        {
            NestedJobReads.Stop(tenant);
        }
    }

    [Fact]
    public async Task A_failed_nested_Job_fails_its_parent_at_once_with_its_message()
    {
        var (parent, a, _) = await FamilyAsync(GrainClusterFixture.NewTenant());

        await a.Finish(false, "No host is available");

        var failed = await Eventually.Until(() => parent.Get(), j => j.State == JobStateName.FAILED, "the parent to fail");
        Assert.Contains("jobs/a", failed.StatusMessage);
        Assert.Contains("No host is available", failed.StatusMessage);
    }

    [Fact]
    public async Task A_parent_told_to_continue_succeeds_after_all_have_finished_and_names_the_failed_ones()
    {
        var (parent, a, b) = await FamilyAsync(GrainClusterFixture.NewTenant(), NestedJobFailure.Continue);

        await a.Finish(false, "No host is available");
        await Eventually.Until(() => parent.Get(), j => j.Progress == 50, "the parent to follow the failed nested Job");
        Assert.Equal(JobStateName.RUNNING, (await parent.Get()).State);

        await b.Finish(true, "done");
        var done = await Eventually.Until(() => parent.Get(), j => j.State == JobStateName.SUCCESS, "the parent to succeed");
        Assert.Contains("1 of 2", done.StatusMessage);
        Assert.Contains("jobs/a", done.StatusMessage);
    }

    [Fact]
    public async Task A_Job_cannot_be_nested_under_a_missing_or_finished_parent_and_nothing_is_stored()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var missing = await Assert.ThrowsAsync<CimiException>(() => Job(tenant, "c1").Begin("add", Target, null, "x", parentLocalId: "none"));
        Assert.Equal(CimiErrorKind.NotFound, missing.Kind);

        await Job(tenant, "done").Begin("add", Target, null, "x");
        await Job(tenant, "done").Finish(true, "ok");
        var finished = await Assert.ThrowsAsync<CimiException>(() => Job(tenant, "c2").Begin("add", Target, null, "x", parentLocalId: "done"));
        Assert.Equal(CimiErrorKind.Conflict, finished.Kind);

        foreach (var child in new[] { "c1", "c2" })
            Assert.Null(await Job(tenant, child).GetInternal());
    }

    [Fact]
    public async Task A_parent_whose_notice_was_lost_catches_up_when_it_is_next_activated()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var (parent, a, b) = await FamilyAsync(tenant);
        var parentKey = GrainKeys.Of(tenant, "p");
        NestedJobNoticeFaults.Drop(parentKey);
        try
        {
            await a.Finish(true, "done");
            await b.Finish(true, "done");
            await Eventually.Until(() => Task.FromResult(NestedJobNoticeFaults.Dropped(parentKey)), n => n >= 2, "both notices to be lost");
            Assert.Equal(JobStateName.QUEUED, (await parent.Get()).State);
        }
        finally
        {
            NestedJobNoticeFaults.Heal(parentKey);
        }

        // As after a silo restart: a new activation (what the reminder or a reader brings) follows at once.
        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var done = await Eventually.Until(() => parent.Get(), j => j.State == JobStateName.SUCCESS,
            "the reactivated parent to follow its nested Jobs", TimeSpan.FromSeconds(15));
        Assert.Equal([new ResourceRef("jobs/a"), new ResourceRef("jobs/b")], done.NestedJobs);
    }
}
