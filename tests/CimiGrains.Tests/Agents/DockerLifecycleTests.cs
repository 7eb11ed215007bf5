using System.Text.Json.Nodes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

[Collection(DockerAgentCollection.Name)]
public sealed class DockerLifecycleTests(DockerAgentFixture fixture)
{
    [Fact]
    public async Task Create_runs_one_labelled_container_with_the_configured_limits_and_the_credential_in_run_cimi()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync(cpu: 1, memoryKiB: 131072);
        template["credential"] = new JsonObject { ["userName"] = "operator", ["password"] = "pw-123" };
        template["userData"] = Convert.ToBase64String("#!/bin/sh\necho user-data-ran\n"u8.ToArray());
        var (id, key) = await CreateAsync(client, template);

        Assert.Equal("STARTED", await StateAsync(client, id));
        var ids = await DockerCli.ContainersOfAsync(key);
        Assert.Single(ids);
        var container = await DockerCli.InspectAsync(ids[0]);
        Assert.Equal("running", container["State"]!["Status"]!.GetValue<string>());
        Assert.Equal(1_000_000_000L, container["HostConfig"]!["NanoCpus"]!.GetValue<long>());
        Assert.Equal(131072L * 1024, container["HostConfig"]!["Memory"]!.GetValue<long>());
        var labels = container["Config"]!["Labels"]!;
        Assert.Equal(fixture.HostId, labels["cimigrains.host"]!.GetValue<string>());
        Assert.Equal(key.Split('/')[0], labels["cimigrains.tenant"]!.GetValue<string>());
        Assert.True(long.Parse(labels["cimigrains.generation"]!.GetValue<string>()) >= 1);
        Assert.Equal("operator", await DockerCli.RunAsync("exec", ids[0], "cat", "/run/cimi/admin-user"));
        var log = await Eventually.Until(() => DockerCli.RunAsync("exec", ids[0], "cat", "/var/log/cimi-init.log"),
            l => l.Contains("user-data-ran"), "the demo init to run the user-data");
        Assert.Contains("admin user: operator", log);
        Assert.DoesNotContain("pw-123", log);

        await DeleteAsync(client, id);
        Assert.Equal("absent", await DockerCli.StateOfAsync(key));
    }

    [Fact]
    public async Task Stop_start_restart_pause_suspend_show_in_Docker_and_in_CIMI()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (id, key) = await CreateAsync(client, template);
        var first = (await DockerCli.ContainersOfAsync(key)).Single();

        await ActAsync(client, id, "stop");
        Assert.Equal("STOPPED", await StateAsync(client, id));
        Assert.Equal("exited", await DockerCli.StateOfAsync(key));

        await ActAsync(client, id, "start");
        Assert.Equal("running", await DockerCli.StateOfAsync(key));
        Assert.Equal("STARTED", await StateAsync(client, id));

        await ActAsync(client, id, "pause");
        Assert.Equal("PAUSED", await StateAsync(client, id));
        Assert.Equal("paused", await DockerCli.StateOfAsync(key));

        await ActAsync(client, id, "start");
        Assert.Equal("running", await DockerCli.StateOfAsync(key));

        var startedAt = (await DockerCli.InspectAsync(first))["State"]!["StartedAt"]!.GetValue<string>();
        await ActAsync(client, id, "restart");
        Assert.NotEqual(startedAt, (await DockerCli.InspectAsync(first))["State"]!["StartedAt"]!.GetValue<string>());
        Assert.Equal("STARTED", await StateAsync(client, id));

        await ActAsync(client, id, "suspend");
        Assert.Equal("SUSPENDED", await StateAsync(client, id));
        Assert.Equal("exited", await DockerCli.StateOfAsync(key));

        await ActAsync(client, id, "start");
        await ActAsync(client, id, "stop", force: true);
        Assert.Equal(137, (await DockerCli.InspectAsync(first))["State"]!["ExitCode"]!.GetValue<int>());

        // The same container all along: no action made a second one.
        Assert.Equal([first], await DockerCli.ContainersOfAsync(key));
        await DeleteAsync(client, id);
        Assert.Equal("absent", await DockerCli.StateOfAsync(key));
    }

    [Fact]
    public async Task A_container_killed_behind_the_controllers_back_shows_in_CIMI()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (id, key) = await CreateAsync(client, template);
        await DockerCli.RunAsync("kill", (await DockerCli.ContainersOfAsync(key)).Single());
        await WaitStateAsync(client, id, "STOPPED", TimeSpan.FromSeconds(10));

        await DockerCli.RunAsync("rm", "-f", (await DockerCli.ContainersOfAsync(key)).Single());
        await WaitStateAsync(client, id, "ERROR", TimeSpan.FromSeconds(10));
        await DeleteAsync(client, id);
    }

    [Fact]
    public async Task Capture_commits_an_image_that_a_new_Machine_boots_from()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (id, key) = await CreateAsync(client, template);
        var container = (await DockerCli.ContainersOfAsync(key)).Single();
        await DockerCli.RunAsync("exec", container, "sh", "-c", "echo captured-mark > /etc/mark");

        var capture = await client.PostAsync("machineImages", new JsonObject { ["name"] = "snap", ["imageLocation"] = client.Absolute(id) });
        Assert.True(capture.Code == 202, $"capture: {capture}");
        var imageUri = capture.Header("Location")!;
        var job = await client.WaitForJobAsync(capture.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the capture Job: {job}");
        var image = (await client.GetAsync(imageUri)).Json;
        Assert.Equal("AVAILABLE", image["state"]!.GetValue<string>());
        var location = image["imageLocation"]!.GetValue<string>();
        try
        {
            await DockerCli.RunAsync("image", "inspect", location["docker:".Length..]);
            Assert.Equal("STARTED", await StateAsync(client, id));

            var fromCapture = new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(),
                ["machineImage"] = new JsonObject { ["href"] = imageUri },
            };
            var (copyId, copyKey) = await CreateAsync(client, fromCapture);
            var copy = (await DockerCli.ContainersOfAsync(copyKey)).Single();
            Assert.Equal("captured-mark", await DockerCli.RunAsync("exec", copy, "cat", "/etc/mark"));
            await DeleteAsync(client, copyId);
            await DeleteAsync(client, id);
        }
        finally
        {
            await DockerCli.RemoveHostContainersAsync(fixture.HostId);
            await DockerCli.RunAsync("rmi", "-f", location["docker:".Length..]);
        }
    }

    [Fact]
    public async Task Deleting_a_captured_MachineImage_removes_its_Docker_image_once_no_Machine_runs_from_it()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (id, _) = await CreateAsync(client, template);
        var (usedUri, used) = await CaptureAsync(client, id);
        var (unusedUri, unused) = await CaptureAsync(client, id);
        try
        {
            var fromCapture = new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(),
                ["machineImage"] = new JsonObject { ["href"] = usedUri },
            };
            var (copyId, copyKey) = await CreateAsync(client, fromCapture);

            // No Machine uses the second capture: its image goes with its MachineImage.
            Assert.True((await client.DeleteAsync(unusedUri)).Code is 200 or 204);
            await Eventually.Until(() => DockerCli.ImageExistsAsync(unused), e => !e, $"the image {unused} to be removed");

            // The first one boots a running Machine: the MachineImage goes, the image stays under it.
            var deleted = await client.DeleteAsync(usedUri);
            Assert.True(deleted.Code is 200 or 204, $"deleting the MachineImage: {deleted}");
            Assert.Equal(404, (await client.GetAsync(usedUri)).Code);
            await Eventually.Until(() => Task.FromResult(fixture.Agent.Log), l => l.Contains($"Keeping the image docker:{used} while {copyKey}"),
                "the agent to keep the image while the Machine uses it");
            Assert.True(await DockerCli.ImageExistsAsync(used), "the image was removed from under a Machine");
            await ActAsync(client, copyId, "stop");
            await ActAsync(client, copyId, "start");
            Assert.Equal("running", await DockerCli.StateOfAsync(copyKey));
            Assert.True(await DockerCli.ImageExistsAsync(used));

            // When the last Machine that runs from it is deleted, the host removes it.
            await DeleteAsync(client, copyId);
            await Eventually.Until(() => DockerCli.ImageExistsAsync(used), e => !e, $"the image {used} to be removed after its last Machine");
            await DeleteAsync(client, id);
        }
        finally
        {
            await DockerCli.RemoveHostContainersAsync(fixture.HostId);
            await DockerCli.RemoveImageAsync(used);
            await DockerCli.RemoveImageAsync(unused);
        }
    }

    [Fact]
    public async Task A_captured_image_whose_MachineImage_is_deleted_while_its_host_is_away_is_removed_when_the_agent_returns()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (id, _) = await CreateAsync(client, template);
        var (imageUri, reference) = await CaptureAsync(client, id);
        try
        {
            await fixture.Agent.KillAsync();
            var deleted = await client.DeleteAsync(imageUri);
            Assert.True(deleted.Code is 200 or 204, $"deleting the MachineImage while its host is away: {deleted}");
            Assert.True(await DockerCli.ImageExistsAsync(reference));

            // The host grain kept the removal and hands it to the agent's next session.
            fixture.Agent = await fixture.Cloud.StartAgentAsync(fixture.HostId);
            await Eventually.Until(() => DockerCli.ImageExistsAsync(reference), e => !e, $"the image {reference} to be removed after the agent returned");
            await WaitStateAsync(client, id, "STARTED");
            await DeleteAsync(client, id);
        }
        finally
        {
            await fixture.EnsureAgentAsync();
            await DockerCli.RemoveHostContainersAsync(fixture.HostId);
            await DockerCli.RemoveImageAsync(reference);
        }
    }

    [Fact]
    public async Task An_agent_killed_and_restarted_adopts_its_containers_and_removes_those_deleted_meanwhile()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (keptId, keptKey) = await CreateAsync(client, template);
        var (goneId, goneKey) = await CreateAsync(client, template);
        var kept = (await DockerCli.ContainersOfAsync(keptKey)).Single();

        try
        {
            await fixture.Agent.KillAsync();
            // While the agent is away its Machines say so.
            var marked = await Eventually.Until(() => GetAsync(client, keptId),
                m => m["properties"]?["cimigrains.hostStatus"] is not null, "the Machine to be marked as on an unreachable host");
            Assert.Equal("ERROR", marked["state"]!.GetValue<string>());
            await DeleteAsync(client, goneId);
            Assert.Equal("running", await DockerCli.StateOfAsync(goneKey));

            fixture.Agent = await fixture.Cloud.StartAgentAsync(fixture.HostId);
            await WaitStateAsync(client, keptId, "STARTED");
            await WaitDockerAsync(goneKey, "absent");
            Assert.Equal([kept], await DockerCli.ContainersOfAsync(keptKey));
            Assert.Null((await GetAsync(client, keptId))["properties"]?["cimigrains.hostStatus"]);

            await ActAsync(client, keptId, "stop");
            Assert.Equal("exited", await DockerCli.StateOfAsync(keptKey));
            await DeleteAsync(client, keptId);
        }
        finally
        {
            await fixture.EnsureAgentAsync();
        }
    }
}
