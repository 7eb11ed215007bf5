using CimiGrains.Credentials;
using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class MachineGrainTests(GrainClusterFixture fixture)
{
    private async Task<string> TemplateAsync(string tenant)
    {
        await fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"))
            .Create(new MachineConfiguration { Cpu = 2, Memory = 524288 });
        await fixture.Grains.GetGrain<IMachineImageGrain>(GrainKeys.Of(tenant, "i"))
            .Create(new MachineImage { ImageLocation = "docker:cimigrains/demo:latest" });
        await fixture.Grains.GetGrain<IMachineTemplateGrain>(GrainKeys.Of(tenant, "t")).Create(new MachineTemplate
        {
            MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" },
            MachineImage = new MachineImage { Href = "machineImages/i" },
        });
        return "machineTemplates/t";
    }

    [Fact]
    public async Task Create_without_hosts_fails_its_job_honestly_and_leaves_the_machine_in_ERROR()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var template = await TemplateAsync(tenant);
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m1"));

        var result = await machine.Create(new MachineCreate { Name = "m1", MachineTemplate = new MachineTemplate { Href = template } }, "j1");

        Assert.Equal(MachineStateName.CREATING, result.Machine.State);
        Assert.Equal(2, result.Machine.Cpu);
        var job = fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "j1"));
        var finished = await Eventually.Until(() => job.Get(), j => j.State is JobStateName.FAILED or JobStateName.SUCCESS, "the create job to finish");
        Assert.Equal(JobStateName.FAILED, finished.State);
        Assert.Contains("No host is available", finished.StatusMessage);
        Assert.Equal(MachineStateName.ERROR, (await machine.Get()).State);
    }

    /// <summary>
    /// A create whose outcome (no host) is decided while its Job cannot be told, as if the silo died
    /// between the two; the Job is reachable again when this returns.
    /// </summary>
    private async Task<(IMachineGrain Machine, IJobGrain Job)> CreateWithUntoldOutcome(string tenant, string machineId, string jobId)
    {
        var template = await TemplateAsync(tenant);
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, machineId));
        var jobKey = GrainKeys.Of(tenant, jobId);
        var job = fixture.Grains.GetGrain<IJobGrain>(jobKey);
        JobFinishFaults.Fail(jobKey);
        try
        {
            await machine.Create(new MachineCreate { MachineTemplate = new MachineTemplate { Href = template } }, jobId);
            await Eventually.Until(() => Task.FromResult(JobFinishFaults.Refused(jobKey)), n => n > 0, "the create's outcome to reach its Job");

            // Decided but not told: the Machine still shows the operation, so a restart finds it.
            Assert.Equal(MachineStateName.CREATING, (await machine.Get()).State);
            Assert.Equal(JobStateName.QUEUED, (await job.Get()).State);
        }
        finally
        {
            JobFinishFaults.Heal(jobKey);
        }
        return (machine, job);
    }

    [Fact]
    public async Task An_outcome_decided_before_its_Job_was_told_is_finished_by_the_next_activation()
    {
        var (machine, job) = await CreateWithUntoldOutcome(GrainClusterFixture.NewTenant(), "m9", "j9");

        // A new activation, as after a crash, finishes with the outcome it had written.
        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await machine.Get();
        var finished = await Eventually.Until(() => job.Get(), j => j.State is JobStateName.FAILED or JobStateName.SUCCESS,
            "the Job to be finished by the new activation");
        Assert.Equal(JobStateName.FAILED, finished.State);
        Assert.Contains("No host is available", finished.StatusMessage);
        Assert.Equal(MachineStateName.ERROR, (await machine.Get()).State);
    }

    [Fact]
    public async Task A_delete_that_takes_over_an_unfinished_operation_finishes_its_Job_first()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var (machine, createJob) = await CreateWithUntoldOutcome(tenant, "m10", "j10");

        var deleted = await machine.Delete("j11");

        Assert.Equal(JobStateName.QUEUED, deleted.Job.State);
        var create = await createJob.Get();
        Assert.Equal(JobStateName.FAILED, create.State);
        Assert.Contains("No host is available", create.StatusMessage);
        var delete = await Eventually.Until(() => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "j11")).Get(),
            j => j.State is JobStateName.SUCCESS or JobStateName.FAILED, "the delete Job to finish");
        Assert.Equal(JobStateName.SUCCESS, delete.State);
        var gone = await Assert.ThrowsAsync<CimiException>(() => machine.Get());
        Assert.Equal(CimiErrorKind.NotFound, gone.Kind);
    }

    [Fact]
    public async Task A_dangling_reference_is_refused_and_nothing_is_stored()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m2"));

        var error = await Assert.ThrowsAsync<CimiException>(() =>
            machine.Create(new MachineCreate { MachineTemplate = new MachineTemplate { Href = "machineTemplates/none" } }, "j2"));

        Assert.Equal(CimiErrorKind.NotFound, error.Kind);
        Assert.Contains("does not exist", error.Message);
        var missing = await Assert.ThrowsAsync<CimiException>(() => machine.Get());
        Assert.Equal(CimiErrorKind.NotFound, missing.Kind);
        var noJob = await Assert.ThrowsAsync<CimiException>(() => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "j2")).Get());
        Assert.Equal(CimiErrorKind.NotFound, noJob.Kind);
    }

    [Fact]
    public async Task Actions_refused_by_the_transition_table_name_the_state_and_the_action()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var template = await TemplateAsync(tenant);
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m3"));
        await machine.Create(new MachineCreate { MachineTemplate = new MachineTemplate { Href = template } }, "j3");
        await Eventually.Until(() => machine.Get(), m => m.State == MachineStateName.ERROR, "the machine to end in ERROR");

        var error = await Assert.ThrowsAsync<CimiException>(() => machine.Act(MachineAction.Suspend, false, "j4"));

        Assert.Equal(CimiErrorKind.Conflict, error.Kind);
        Assert.Contains("ERROR", error.Message);
        Assert.Contains("suspend", error.Message);
    }

    [Fact]
    public async Task A_credential_keeps_its_password_for_grains_but_never_returns_it()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var credential = fixture.Grains.GetGrain<ICredentialGrain>(GrainKeys.Of(tenant, "c1"));
        var created = await credential.CreateFrom(new CredentialCreate
        {
            CredentialTemplate = new CredentialTemplate { UserName = "root", Password = "hunter22" },
        });
        Assert.Null(created.Password);
        Assert.Null((await credential.Get()).Password);
        Assert.Equal("hunter22", (await credential.GetInternal())!.Password);

        // An update that does not resend the password keeps it.
        await credential.Update(new Credential { Name = "renamed", UserName = "root" });
        Assert.Equal("hunter22", (await credential.GetInternal())!.Password);
    }
}
