using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class DomainEventTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task Create_update_and_delete_of_a_plain_resource_each_raise_one_numbered_event_naming_who_and_which_request()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var config = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));

        CimiRequestContext.Set("alice", "req-create");
        await config.Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        CimiRequestContext.Set("bob", "req-update");
        await config.Update(new MachineConfiguration { Name = "small", Cpu = 1, Memory = 262144 });
        CimiRequestContext.Set("carol", "req-delete");
        await config.Delete();
        RequestContext.Clear();

        var events = RecordedDomainEvents.Of(tenant, "machineConfigs/c");
        Assert.Equal([DomainEventKind.Created, DomainEventKind.Updated, DomainEventKind.Deleted], events.Select(e => e.Kind));
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Sequence));
        Assert.Equal(["alice", "bob", "carol"], events.Select(e => e.Principal));
        Assert.Equal(["req-create", "req-update", "req-delete"], events.Select(e => e.CorrelationId));
        Assert.All(events, e => Assert.Equal("MachineConfiguration", e.ResourceType));
    }

    [Fact]
    public async Task The_sequence_is_stored_with_the_state_so_a_new_activation_continues_it()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var config = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        await config.Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        await config.Update(new MachineConfiguration { Name = "renamed", Cpu = 1, Memory = 262144 });

        Assert.Equal([1L, 2L], RecordedDomainEvents.Of(tenant, "machineConfigs/c").Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_refused_write_raises_no_event()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var config = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        await config.Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });

        await Assert.ThrowsAsync<CimiException>(() => config.Update(new MachineConfiguration { Cpu = -1, Memory = 262144 }));

        Assert.Equal([DomainEventKind.Created], RecordedDomainEvents.Of(tenant, "machineConfigs/c").Select(e => e.Kind));
    }

    [Fact]
    public async Task A_hosted_resource_raises_its_state_transitions_with_the_request_that_asked_for_them()
    {
        var tenant = GrainClusterFixture.NewTenant();
        await fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c")).Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        await fixture.Grains.GetGrain<IMachineImageGrain>(GrainKeys.Of(tenant, "i")).Create(new MachineImage { ImageLocation = "docker:cimigrains/demo:latest" });
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m"));

        CimiRequestContext.Set("alice", "req-machine");
        await machine.Create(new MachineCreate
        {
            MachineTemplate = new MachineTemplate
            {
                MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" },
                MachineImage = new MachineImage { Href = "machineImages/i" },
            },
        }, "j");
        RequestContext.Clear();
        await Eventually.Until(() => machine.Get(), m => m.State == MachineStateName.ERROR, "the create to fail (no hosts here)");

        // The failure is settled from a timer, long after the request: it still carries the request's id.
        var events = await Eventually.Until(() => Task.FromResult(RecordedDomainEvents.Of(tenant, "machines/m")),
            e => e.Any(x => x.Kind == DomainEventKind.StateChanged), "the Machine's state change event");
        Assert.Equal(DomainEventKind.Created, events[0].Kind);
        Assert.Equal("CREATING", events[0].NewState);
        var settled = events.Single(e => e.Kind == DomainEventKind.StateChanged);
        Assert.Equal(("CREATING", "ERROR"), (settled.OldState, settled.NewState));
        Assert.Equal(("alice", "req-machine"), (settled.Principal, settled.CorrelationId));
        Assert.True(events.Select(e => e.Sequence).SequenceEqual(events.Select((_, i) => (long)i + 1)),
            "numbered from 1 without gaps: " + string.Join("; ", events));

        var job = RecordedDomainEvents.Of(tenant, "jobs/j");
        Assert.Contains(job, e => e is { Kind: DomainEventKind.StateChanged, NewState: nameof(JobStateName.FAILED) });
    }
}
