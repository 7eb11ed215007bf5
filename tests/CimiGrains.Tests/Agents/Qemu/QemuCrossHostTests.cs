using System.Text;
using System.Text.Json.Nodes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents.Qemu;

/// <summary>
/// Images any host can boot (issue 11, item 7), with VMs: a VM captured on one host boots on another
/// host that never had the image, through the cluster image store, while the capturing host's agent is
/// away; its console is read through the API from the other host.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuCrossHostTests(QemuAgentFixture fixture)
{
    [Fact]
    public async Task A_VM_captured_on_one_host_boots_on_another_through_the_image_store()
    {
        await fixture.EnsureAgentAsync();
        var (client, template) = await fixture.NewTenantAsync();
        const string script = "#!/bin/sh\n[ -f /data/origin ] || echo \"origin-$(cat /proc/sys/kernel/random/boot_id)\" > /data/origin; sync\necho \"ORIGIN $(cat /data/origin)\"\n";
        template["userData"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(script));
        var (id, key) = await CreateAsync(client, template);
        using var other = new QemuHost();
        AgentProcess? otherAgent = null;
        string? copyId = null;
        try
        {
            var first = await fixture.Host.WaitConsoleAsync(key, c => c.Contains("ORIGIN origin-"), "the first VM to write its origin mark");
            var origin = first[(first.IndexOf("ORIGIN origin-", StringComparison.Ordinal) + "ORIGIN ".Length)..].Split('\n')[0].Trim();

            var capture = await client.PostAsync("machineImages", new JsonObject { ["name"] = "snap", ["imageLocation"] = client.Absolute(id) });
            Assert.True(capture.Code == 202, $"capture: {capture}");
            var job = await client.WaitForJobAsync(capture.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(180));
            Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the capture Job: {job}\n{fixture.Agent.Log}");
            var imageUri = capture.Header("Location")!;
            var location = (await client.GetAsync(imageUri)).Json["imageLocation"]!.GetValue<string>();

            // The capturing host goes away; the only host left has never seen the image.
            otherAgent = await fixture.Cloud.StartAgentAsync(AgentCloud.NewHostId("qemu2"), other.AgentEnvironment);
            await fixture.Agent.KillAsync();
            Assert.False(Directory.Exists(Path.Combine(other.ImagesDirectory, location["qemu:".Length..])));

            var (cId, copyKey) = await CreateAsync(client, new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(),
                ["machineImage"] = new JsonObject { ["href"] = imageUri },
                ["userData"] = template["userData"]!.DeepClone(),
            });
            copyId = cId;
            Assert.Single(other.ProcessesOf(copyKey));
            Assert.True(File.Exists(Path.Combine(other.ImagesDirectory, location["qemu:".Length..], "image.json")),
                "the other host has no copy of the captured image");
            // The console through the API: the guest booted the captured disk (the same origin mark).
            await Eventually.Until(async () => (await client.GetAsync(cId + "/console", "text/plain")).Body,
                c => c.Contains($"ORIGIN {origin}"), "the VM from the capture to show the first VM's origin mark on its console", TimeSpan.FromSeconds(180));
        }
        finally
        {
            if (copyId is not null) await DeleteAsync(client, copyId);
            await fixture.EnsureAgentAsync();
            await DeleteAsync(client, id);
            if (otherAgent is not null) await otherAgent.DisposeAsync();
        }
        Assert.Empty(other.Processes());
    }
}
