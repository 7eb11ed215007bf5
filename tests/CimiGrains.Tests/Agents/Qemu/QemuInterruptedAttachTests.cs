extern alias agents;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CimiGrains.Tests.Http.Volumes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents.Qemu;

/// <summary>
/// kill -9 of the agent in the middle of a VM's hot-plug and hot-unplug of a Volume (docs/VOLUMES.md, "Crashes"), at
/// the QEMU driver's steps, reached through the agent's test pause. The VM runs on without its agent; the restarted
/// agent adopts it, the cluster sends the unanswered command again, and the operation ends done: the Job succeeds, the
/// guest sees the disk exactly while it is attached, the Volume's <c>attachedTo</c> agrees, and QEMU holds no block
/// node or device of the Volume once it is detached.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuInterruptedAttachTests(QemuAgentFixture fixture)
{
    [Theory]
    [InlineData("qemu-attach-volume:recorded", "qemu-detach-volume:device-deleted")]
    [InlineData("qemu-attach-volume:nodes-added", "qemu-detach-volume:unplugged")]
    public async Task Kill_9_of_the_agent_in_the_middle_of_a_hot_plug_and_an_unplug_converges(string attachStep, string detachStep)
    {
        await fixture.EnsureAgentAsync();
        var (client, template) = await fixture.NewTenantAsync(memoryKiB: 128 * 1024);
        template["userData"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Volumes.QemuVolumeTests.WatchScript.Replace("\r", "")));
        var (id, key) = await CreateAsync(client, template);
        string? volume = null;
        try
        {
            await WaitDisksAsync(key, d => d.Length > 0, "its own disks");
            var config = await client.PostAsync("volumeConfigs", VolumeDocs.Configuration(16 * 1024, "raw"));
            Assert.True(config.Code == 201, $"the VolumeConfiguration: {config}");
            var created = await client.PostAsync("volumes", VolumeDocs.Create(new JsonObject { ["volumeConfig"] = new JsonObject { ["href"] = config.Json["id"]!.GetValue<string>() } }));
            Assert.True(created.Code == 202, $"the Volume: {created}");
            volume = created.Header("Location")!;
            await JobSucceededAsync(client, created.Header("CIMI-Job-URI")!, "the Volume's create");
            var localId = volume.Split('/')[^1];
            var serial = localId.Length > 20 ? localId[..20] : localId;

            // The attach, with the agent killed at its step: it ends done or cleanly not done, as its Job says.
            var attach = await KilledAtAsync(client, volume, attachStep, () => client.PostAsync($"{id}/volumes", new JsonObject { ["volume"] = new JsonObject { ["href"] = $"volumes/{localId}" } }));
            fixture.Agent = await fixture.StartAgentAsync();
            if (await JobStateAsync(client, attach) == "SUCCESS")
                await AssertAttachedAsync(client, id, key, volume, serial);
            else
            {
                // Not done: undone on the host once it is back (it had recorded the attachment before it died).
                await AssertDetachedAsync(client, id, key, volume, serial);
                var again = await client.PostAsync($"{id}/volumes", new JsonObject { ["volume"] = new JsonObject { ["href"] = $"volumes/{localId}" } });
                Assert.True(again.Code == 202, $"attaching again: {again}");
                Assert.Equal("SUCCESS", await JobStateAsync(client, again.Header("CIMI-Job-URI")!));
                await AssertAttachedAsync(client, id, key, volume, serial);
            }

            // The detach, killed at its step: done either way in the end (an unanswered one is asked again).
            var detach = await KilledAtAsync(client, volume, detachStep, () => client.DeleteAsync($"{id}/volumes/{localId}"));
            fixture.Agent = await fixture.StartAgentAsync();
            await JobStateAsync(client, detach);
            await AssertDetachedAsync(client, id, key, volume, serial);

            // Nothing of the Volume is left in QEMU: asked while no agent holds the VM's QMP socket.
            await fixture.Agent.KillAsync();
            var nodes = await NamedBlockNodesAsync(key);
            Assert.DoesNotContain(HashOf($"{key.Split('/')[0]}/{localId}"), nodes);
            fixture.Agent = await fixture.StartAgentAsync();
            await WaitStateAsync(client, id, "STARTED", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await fixture.EnsureAgentAsync();
            await DeleteAsync(client, id);
            if (volume is not null) await client.DeleteAsync(volume);
        }
    }

    /// <summary>Restarts the agent with the pause at <paramref name="step"/>, makes the request, waits until the agent is
    /// there and kills it -9; returns the request's Job.</summary>
    private async Task<string> KilledAtAsync(CimiClient client, string volume, string step, Func<Task<CimiResponse>> request)
    {
        await fixture.Agent.DisposeAsync();
        var environment = fixture.Host.AgentEnvironment;
        environment[agents::CimiGrains.Agents.Drivers.TestPause.Variable] = step;
        fixture.Agent = await fixture.Cloud.StartAgentAsync(fixture.HostId, environment);
        // The restarted agent lists the Volume again first: until then it shows ERROR (its host away) and refuses an attach.
        await Eventually.Until(async () => (await client.GetAsync(volume)).Json, v => v["state"]?.GetValue<string>() == "AVAILABLE" && v["properties"]?["cimigrains.hostStatus"] is null,
            $"the Volume to be AVAILABLE again before {step}", TimeSpan.FromSeconds(60));
        var accepted = await Eventually.Until(request, r => r.Code != 503, $"the request before {step} to be served");
        Assert.True(accepted.Code == 202, $"the request before {step}: {accepted}");
        await Eventually.Until(() => Task.FromResult(fixture.Agent.Log), log => log.Contains($"paused at {step}", StringComparison.Ordinal),
            $"the agent to reach {step}", TimeSpan.FromSeconds(60));
        await fixture.Agent.KillAsync();
        return accepted.Header("CIMI-Job-URI")!;
    }

    private async Task JobSucceededAsync(CimiClient client, string job, string what)
    {
        var finished = await client.WaitForJobAsync(job, TimeSpan.FromSeconds(120));
        Assert.True(finished["state"]!.GetValue<string>() == "SUCCESS", $"{what}: {finished}\n--- agent ---\n{fixture.Agent.Log}");
    }

    private static async Task<string> JobStateAsync(CimiClient client, string job) =>
        (await client.WaitForJobAsync(job, TimeSpan.FromSeconds(120)))["state"]!.GetValue<string>();

    /// <summary>Attached everywhere: the Machine lists it attached, the Volume the Machine, and the guest sees the disk.</summary>
    private async Task AssertAttachedAsync(CimiClient client, string id, string key, string volume, string serial)
    {
        await Eventually.Until(async () => (await client.GetAsync($"{id}/volumes")).Json["machineVolumes"]?.AsArray(),
            v => v is [{ } one] && one["properties"]?["cimigrains.attachment"]?.GetValue<string>() == "attached", "the Machine to list the Volume attached");
        Assert.EndsWith(id.Split('/')[^1], Assert.Single((await client.GetAsync(volume)).Json["attachedTo"]!.AsArray())!["href"]!.GetValue<string>());
        await WaitDisksAsync(key, d => d.Contains($":{serial} "), "the hot-plugged volume");
    }

    /// <summary>Detached everywhere: the Machine lists nothing, the Volume no Machine, and the guest has no such disk.</summary>
    private async Task AssertDetachedAsync(CimiClient client, string id, string key, string volume, string serial)
    {
        await Eventually.Until(async () => (await client.GetAsync(volume)).Json["attachedTo"], a => a is null,
            $"the Volume to be released\n--- agent ---\n{fixture.Agent.Log}", TimeSpan.FromSeconds(120));
        Assert.Empty((await client.GetAsync($"{id}/volumes")).Json["machineVolumes"]?.AsArray() ?? []);
        await WaitDisksAsync(key, d => !d.Contains($":{serial} "), "the volume to be gone");
    }

    private Task<string> WaitDisksAsync(string key, Func<string, bool> seen, string what) =>
        Eventually.Until(() => Task.FromResult(Volumes.QemuVolumeTests.LatestDisks(fixture.Host.ConsoleOf(key))), d => d is not null && seen(d),
            $"the guest to list {what}", TimeSpan.FromSeconds(120))!;

    /// <summary>Every block node of the VM as QEMU describes it (query-named-block-nodes), as text.</summary>
    private async Task<string> NamedBlockNodesAsync(string key)
    {
        var directory = fixture.Host.DirectoryOf(key) ?? throw new InvalidOperationException($"no runtime directory for {key}");
        await using var qmp = await agents::CimiGrains.Agents.Qemu.QmpClient.ConnectAsync(Path.Combine(directory, "qmp.sock"), _ => { },
            TimeSpan.FromSeconds(10), default);
        return (await qmp.ExecuteAsync("query-named-block-nodes", null, default))?.ToJsonString() ?? "";
    }

    /// <summary>How the pool names a Volume's file: the sha256 of its key (tenant/localId).</summary>
    private static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
