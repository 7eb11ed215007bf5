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
            .Create(new MachineImage { ImageLocation = "docker:busybox" });
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

    [Fact]
    public async Task A_dangling_reference_is_refused_and_nothing_is_stored()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m2"));

        var error = await Assert.ThrowsAsync<CimiException>(() =>
            machine.Create(new MachineCreate { MachineTemplate = new MachineTemplate { Href = "machineTemplates/none" } }, "j2"));

        Assert.Equal(CimiErrorKind.Invalid, error.Kind);
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
