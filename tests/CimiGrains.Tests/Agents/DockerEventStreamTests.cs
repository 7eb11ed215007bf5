using CimiGrains.Tests.Http.Events;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// Issue 15's "done when", as a consumer would watch it: the live stream of a container Machine's EventLog
/// while it is stopped and started on a real Docker host shows each state change once, in order, with the
/// Jobs' outcomes in the tenant's stream beside them.
/// </summary>
[Collection(DockerAgentCollection.Name)]
public sealed class DockerEventStreamTests(DockerAgentFixture fixture)
{
    [Fact]
    public async Task Stopping_and_starting_a_container_streams_each_state_change_once_and_in_order()
    {
        await fixture.EnsureAgentAsync();
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        using var _ = client;
        var (machine, _) = await CreateAsync(client, template);
        await WaitStateAsync(client, machine, "STARTED");
        var relative = machine[client.Cimi.Length..];
        var log = "eventLogs/" + relative.Replace('/', '.');
        Assert.EndsWith(log, (await GetAsync(client, machine))["eventLog"]!["href"]!.GetValue<string>());

        await using var stream = await EventStreamClient.OpenAsync(client, log, Tenants.Password);
        await ActAsync(client, machine, "stop");
        await ActAsync(client, machine, "start");
        var events = (await stream.UntilAsync(r => r.Count(e => e.Type == "state") >= 4, "STOPPING, STOPPED, STARTING, STARTED"))
            .Where(e => e.Type == "state").ToList();
        Assert.Equal(
            [("STARTED", "STOPPING"), ("STOPPING", "STOPPED"), ("STOPPED", "STARTING"), ("STARTING", "STARTED")],
            events.Select(e => (e.Data["content"]!["previous"]!.GetValue<string>(), e.Data["content"]!["state"]!.GetValue<string>())));
        Assert.Equal(events.Select(e => e.Id).Order(), events.Select(e => e.Id));
        Assert.All(events, e => Assert.Equal(client.Absolute(relative), e.Data["content"]!["resource"]!["href"]!.GetValue<string>()));

        await DeleteAsync(client, machine);
    }
}
