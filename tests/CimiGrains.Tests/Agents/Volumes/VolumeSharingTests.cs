using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents.Qemu;
using static CimiGrains.Tests.Agents.MachineWorkloads;
using static CimiGrains.Tests.Agents.Volumes.VolumeGuests;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// The sharing rules of docs/VOLUMES.md ("Attaching") through the API on one real host with both drivers: VMs share a
/// Volume only when every attachment is read-only; containers of the host share one read-write.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VolumeSharingTests(QemuAgentFixture fixture)
{
    [Fact]
    public async Task Two_VMs_read_a_volume_attached_read_only_to_both_and_a_read_write_attach_beside_them_or_before_them_is_409()
    {
        await fixture.EnsureAgentAsync();
        var (client, vmTemplate) = await fixture.NewTenantAsync();
        using var _ = client;
        var volume = await CreateVolumeAsync(client, 16 * 1024);
        var containerTemplate = await ContainerTemplateAsync(client, vmTemplate);
        vmTemplate["userData"] = UserData;
        var machines = new List<string>();
        try
        {
            // A container has it read-write and writes the note.
            var note = $"shared-{Guid.NewGuid():N}";
            containerTemplate["volumes"] = new JsonArray(new JsonObject { ["href"] = volume, ["initialLocation"] = "/data" });
            var (container, containerKey) = await CreateAsync(client, containerTemplate);
            machines.Add(container);
            var written = await DockerVolumeHost.ShAsync(containerKey, $"echo {note} > /data/note && sync");
            Assert.True(written.Ok, written.Output);

            var (vm1, key1) = await CreateAsync(client, vmTemplate);
            machines.Add(vm1);
            var (vm2, key2) = await CreateAsync(client, vmTemplate);
            machines.Add(vm2);

            // Read-only beside a read-write attachment is still not every attachment read-only.
            var beside = await PostAttachAsync(client, vm1, volume, "/mnt/shared", readOnly: true);
            Assert.True(beside.Code == 409, $"a read-only VM attach beside a read-write container: {beside}");
            Assert.Contains($"'machines/{LocalId(container)}' (docker, read-write)", beside.Json["message"]!.GetValue<string>());
            Assert.Equal([LocalId(container)], (await AttachedToAsync(client, volume)).Select(LocalId));

            await DetachAsync(client, container, volume);
            await AttachAsync(client, vm1, volume, "/mnt/shared", readOnly: true);
            await AttachAsync(client, vm2, volume, "/mnt/shared", readOnly: true);
            var serial = SerialOf(volume);
            foreach (var key in new[] { key1, key2 })
            {
                await WaitListingAsync(() => Task.FromResult(fixture.Host.ConsoleOf(key)), l => l.Contains($":{serial}:{note} ", StringComparison.Ordinal),
                    $"the shared Volume with the container's note in {key}");
            }
            var attachment = (await client.GetAsync(vm2 + "/volumes/" + LocalId(volume))).Json;
            Assert.Equal("true", attachment["properties"]?["cimigrains.readOnly"]?.GetValue<string>());
            Assert.Equal(new[] { LocalId(vm1), LocalId(vm2) }.Order(), (await AttachedToAsync(client, volume)).Select(LocalId).Order());

            // A read-write attach beside two read-only VMs is refused, naming them.
            var writable = await PostAttachAsync(client, container, volume, "/data");
            Assert.True(writable.Code == 409, $"a read-write attach beside read-only VMs: {writable}");
            var why = writable.Json["message"]!.GetValue<string>();
            Assert.Contains($"'machines/{LocalId(vm1)}' (qemu, read-only)", why);
            Assert.Contains($"'machines/{LocalId(vm2)}' (qemu, read-only)", why);

            await DetachAsync(client, vm1, volume);
            await DetachAsync(client, vm2, volume);
            await WaitListingAsync(() => Task.FromResult(fixture.Host.ConsoleOf(key1)), l => !l.Contains(serial, StringComparison.Ordinal), "the detached Volume to be gone");
        }
        finally
        {
            foreach (var machine in machines) await DeleteAsync(client, machine);
        }
        await DeleteVolumeAsync(client, volume);
        Assert.Empty(fixture.Host.Processes());
    }

    [Fact]
    public async Task Two_containers_of_one_host_share_a_volume_read_write_and_see_each_others_writes()
    {
        await fixture.EnsureAgentAsync();
        var (client, vmTemplate) = await fixture.NewTenantAsync();
        using var _ = client;
        var volume = await CreateVolumeAsync(client, 16 * 1024);
        var template = await ContainerTemplateAsync(client, vmTemplate);
        template["volumes"] = new JsonArray(new JsonObject { ["href"] = volume, ["initialLocation"] = "/data" });
        var machines = new List<string>();
        try
        {
            var (first, firstKey) = await CreateAsync(client, template);
            machines.Add(first);
            var (second, secondKey) = await CreateAsync(client, new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(), ["machineImage"] = template["machineImage"]!.DeepClone(),
            });
            machines.Add(second);
            // One named at create, one attached live: both read-write on the same file system.
            await AttachAsync(client, second, volume, "/srv/shared");
            Assert.True((await DockerVolumeHost.ShAsync(firstKey, "echo from-first > /data/first && sync")).Ok);
            Assert.True((await DockerVolumeHost.ShAsync(secondKey, "echo from-second > /srv/shared/second && sync")).Ok);
            Assert.Equal("from-first", (await DockerVolumeHost.ShAsync(secondKey, "cat /srv/shared/first")).Output.Trim());
            Assert.Equal("from-second", (await DockerVolumeHost.ShAsync(firstKey, "cat /data/second")).Output.Trim());
            Assert.Equal(2, (await AttachedToAsync(client, volume)).Count);
        }
        finally
        {
            foreach (var machine in machines) await DeleteAsync(client, machine);
        }
        await DeleteVolumeAsync(client, volume);
        Assert.Empty(await LoopDevicesUnderAsync(fixture.Host.VolumePoolDirectory));
    }

    /// <summary>A template for a container of the demo image with the VM template's configuration.</summary>
    private static async Task<JsonObject> ContainerTemplateAsync(CimiClient client, JsonObject vmTemplate)
    {
        var image = await client.PostAsync("machineImages", new JsonObject { ["name"] = "demo", ["imageLocation"] = "docker:" + DockerCli.DemoImage });
        Assert.True(image.Code == 201, $"registering the demo image: {image}");
        return new JsonObject
        {
            ["machineConfig"] = vmTemplate["machineConfig"]!.DeepClone(),
            ["machineImage"] = new JsonObject { ["href"] = image.Json["id"]!.GetValue<string>() },
        };
    }
}
