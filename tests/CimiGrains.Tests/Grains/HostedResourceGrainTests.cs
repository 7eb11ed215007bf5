using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// The hosted-resource base's operation pipeline, through <see cref="SpanGrain"/> (a test type that
/// spans several hosts) and through the Machine, with hosts that are test objects and injected faults.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class HostedResourceGrainTests(GrainClusterFixture fixture)
{
    private static string NewHostId() => "h" + Guid.NewGuid().ToString("N")[..10];

    private (ISpanGrain Span, IJobGrain Job) Span(string tenant, string spanId, string jobId) =>
        (fixture.Grains.GetGrain<ISpanGrain>(GrainKeys.Of(tenant, spanId)), fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, jobId)));

    private static Task<Job> Finished(IJobGrain job, string what) =>
        Eventually.Until(() => job.Get(), j => j.State is JobStateName.SUCCESS or JobStateName.FAILED, what);

    [Fact]
    public async Task An_operation_on_two_hosts_finishes_only_when_both_have_answered()
    {
        await using var hosts = new FakeHosts(fixture);
        var (a, b) = (await hosts.ConnectAsync(NewHostId()), await hosts.ConnectAsync(NewHostId()));
        var tenant = GrainClusterFixture.NewTenant();
        var (span, job) = Span(tenant, "s1", "j1");

        var begun = await span.Create("s1", [a.HostId, b.HostId], "j1");
        Assert.Equal(JobStateName.QUEUED, begun.State);
        var (toA, toB) = (await a.NextAsync(), await b.NextAsync());
        Assert.Equal(HostCommandKind.Create, toA.Kind);
        Assert.Equal(toA.Generation, toB.Generation);
        Assert.NotEqual(toA.CommandId, toB.CommandId);

        await span.OnHostReport(a.Answer(toA, succeeded: true));
        Assert.Equal(SpanLifecycle.CREATING, (await span.Get()).State);
        Assert.NotEqual(JobStateName.SUCCESS, (await job.Get()).State);

        await span.OnHostReport(b.Answer(toB, succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await Finished(job, "the create Job to finish")).State);
        Assert.Equal(SpanLifecycle.READY, (await span.Get()).State);
    }

    [Fact]
    public async Task One_host_failing_fails_the_operation_with_that_hosts_message()
    {
        await using var hosts = new FakeHosts(fixture);
        var (a, b) = (await hosts.ConnectAsync(NewHostId()), await hosts.ConnectAsync(NewHostId()));
        var (span, job) = Span(GrainClusterFixture.NewTenant(), "s2", "j2");
        await span.Create("s2", [a.HostId, b.HostId], "j2");
        var (toA, toB) = (await a.NextAsync(), await b.NextAsync());

        await span.OnHostReport(b.Answer(toB, succeeded: false, message: "bridge br-x could not be made"));
        await span.OnHostReport(a.Answer(toA, succeeded: true));

        var finished = await Finished(job, "the create Job to finish");
        Assert.Equal(JobStateName.FAILED, finished.State);
        Assert.Contains("bridge br-x could not be made", finished.StatusMessage);
        Assert.Equal(SpanLifecycle.ERROR, (await span.Get()).State);
    }

    [Fact]
    public async Task A_hosts_answer_survives_a_new_activation_and_a_report_of_an_older_generation_is_ignored()
    {
        await using var hosts = new FakeHosts(fixture);
        var (a, b) = (await hosts.ConnectAsync(NewHostId()), await hosts.ConnectAsync(NewHostId()));
        var (span, job) = Span(GrainClusterFixture.NewTenant(), "s3", "j3");
        await span.Create("s3", [a.HostId, b.HostId], "j3");
        var (toA, toB) = (await a.NextAsync(), await b.NextAsync());
        await span.OnHostReport(a.Answer(toA, succeeded: true));

        // As after a crash: the next activation knows only what was stored.
        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        // The fence: the right command id, but from an older generation (a stale activation's command).
        await span.OnHostReport(b.Answer(toB, succeeded: false, message: "stale", generation: toB.Generation - 1));
        Assert.Equal(SpanLifecycle.CREATING, (await span.Get()).State);

        await span.OnHostReport(b.Answer(toB, succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await Finished(job, "the create Job to finish after the new activation")).State);
    }

    [Fact]
    public async Task A_delete_takes_over_an_unanswered_operation_ends_its_Job_and_is_fenced_from_its_answers()
    {
        await using var hosts = new FakeHosts(fixture);
        var (a, b) = (await hosts.ConnectAsync(NewHostId()), await hosts.ConnectAsync(NewHostId()));
        var tenant = GrainClusterFixture.NewTenant();
        var (span, createJob) = Span(tenant, "s4", "j4");
        await span.Create("s4", [a.HostId, b.HostId], "j4");
        var (createA, createB) = (await a.NextAsync(), await b.NextAsync());

        await span.Delete("j5");

        var create = await createJob.Get();
        Assert.Equal(JobStateName.FAILED, create.State);
        Assert.Contains("Taken over", create.StatusMessage);
        var (deleteA, deleteB) = (await a.NextAsync(), await b.NextAsync());
        Assert.Equal(HostCommandKind.Delete, deleteA.Kind);
        Assert.True(deleteA.Generation > createA.Generation);
        // The create's late answers belong to an operation that is over.
        await span.OnHostReport(a.Answer(createA, succeeded: true));
        await span.OnHostReport(b.Answer(createB, succeeded: true));
        Assert.Equal(SpanLifecycle.DELETING, (await span.Get()).State);

        await span.OnHostReport(a.Answer(deleteA, succeeded: true));
        await span.OnHostReport(b.Answer(deleteB, succeeded: true));
        var delete = await Finished(fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "j5")), "the delete Job to finish");
        Assert.Equal(JobStateName.SUCCESS, delete.State);
        var gone = await Assert.ThrowsAsync<CimiException>(() => span.Get());
        Assert.Equal(CimiErrorKind.NotFound, gone.Kind);
    }

    [Fact]
    public async Task An_outcome_whose_Job_could_not_be_told_ends_when_the_host_repeats_its_report()
    {
        await using var hosts = new FakeHosts(fixture);
        var a = await hosts.ConnectAsync(NewHostId());
        var tenant = GrainClusterFixture.NewTenant();
        var (span, job) = Span(tenant, "s6", "j6");
        await span.Create("s6", [a.HostId], "j6");
        var toA = await a.NextAsync();

        JobFinishFaults.Fail(GrainKeys.Of(tenant, "j6"));
        try
        {
            // The report fails (as if the silo died after writing the outcome): the host keeps it to repeat.
            await Assert.ThrowsAnyAsync<Exception>(() => span.OnHostReport(a.Answer(toA, succeeded: true)));
            Assert.Equal(SpanLifecycle.CREATING, (await span.Get()).State);
            await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        }
        finally
        {
            JobFinishFaults.Heal(GrainKeys.Of(tenant, "j6"));
        }
        await span.OnHostReport(a.Answer(toA, succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await Finished(job, "the Job to finish from the stored outcome")).State);
        Assert.Equal(SpanLifecycle.READY, (await span.Get()).State);
    }

    [Fact]
    public async Task A_host_lost_before_it_answered_fails_the_operation_when_no_reconnect_grace_is_set()
    {
        await using var hosts = new FakeHosts(fixture);
        var (a, b) = (await hosts.ConnectAsync(NewHostId()), await hosts.ConnectAsync(NewHostId()));
        var (span, job) = Span(GrainClusterFixture.NewTenant(), "s7", "j7");
        await span.Create("s7", [a.HostId, b.HostId], "j7");
        await a.NextAsync();
        await b.NextAsync();

        await span.OnHostLost(b.HostId, "some-session", "its stream broke");

        var finished = await Finished(job, "the create Job to fail");
        Assert.Equal(JobStateName.FAILED, finished.State);
        Assert.Contains($"Host '{b.HostId}' went away", finished.StatusMessage);
        var failed = await span.Get();
        Assert.Equal(SpanLifecycle.ERROR, failed.State);
        Assert.Contains("its stream broke", failed.Properties![CimiGrains.Grains.Machines.MachineGrain.HostStatusProperty]);
    }

    [Fact]
    public async Task An_operation_no_host_takes_fails_after_the_operation_timeout_on_the_injected_clock()
    {
        var (span, job) = Span(GrainClusterFixture.NewTenant(), "s8", "j8");
        await span.Create("s8", [], "j8");
        var waiting = await Eventually.Until(() => job.Get(), j => j.State == JobStateName.RUNNING, "the Job to say it waits for a host");
        Assert.Contains("Waiting for a host", waiting.StatusMessage);

        TestClock.Instance.Advance(TimeSpan.FromMinutes(6));
        Job finished;
        try
        {
            finished = await Finished(job, "the create Job to time out");
        }
        finally
        {
            // The clock is the whole cluster's: later tests in the collection see the real time again.
            TestClock.Instance.Advance(TimeSpan.FromMinutes(-6));
        }
        Assert.Equal(JobStateName.FAILED, finished.State);
        Assert.Contains("No host took the operation within 5 minutes", finished.StatusMessage);
        Assert.Equal(SpanLifecycle.ERROR, (await span.Get()).State);
    }

    [Fact]
    public async Task A_Machine_outcome_whose_Job_was_away_is_finished_within_seconds_of_its_return_without_a_new_activation()
    {
        var tenant = GrainClusterFixture.NewTenant();
        await fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c")).Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        await fixture.Grains.GetGrain<IMachineImageGrain>(GrainKeys.Of(tenant, "i")).Create(new MachineImage { ImageLocation = "docker:cimigrains/demo:latest" });
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m"));
        var jobKey = GrainKeys.Of(tenant, "jm");
        JobFinishFaults.Fail(jobKey);
        try
        {
            await machine.Create(new MachineCreate
            {
                MachineTemplate = new MachineTemplate
                {
                    MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" },
                    MachineImage = new MachineImage { Href = "machineImages/i" },
                },
            }, "jm");
            // The outcome (no host) is decided; telling the Job fails, and is retried, more than once.
            await Eventually.Until(() => Task.FromResult(JobFinishFaults.Refused(jobKey)), n => n > 1, "the outcome to be retried towards its Job");
            Assert.Equal(MachineStateName.CREATING, (await machine.Get()).State);
        }
        finally
        {
            JobFinishFaults.Heal(jobKey);
        }
        // No reactivation, no reminder tick (a minute away): the step's own retry finishes it.
        var job = await Eventually.Until(() => fixture.Grains.GetGrain<IJobGrain>(jobKey).Get(), j => j.State == JobStateName.FAILED,
            "the step's retry to finish the Job", TimeSpan.FromSeconds(15));
        Assert.Contains("No host is available", job.StatusMessage);
        Assert.Equal(MachineStateName.ERROR, (await machine.Get()).State);
    }
}
