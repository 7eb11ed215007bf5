using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents.Qemu;
using static CimiGrains.Tests.Agents.MachineWorkloads;
using static CimiGrains.Tests.Agents.Volumes.VolumeGuests;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// A Volume of one host attached by a VM on another (docs/VOLUMES.md, "Across hosts (NBD)"), through the API and a
/// cluster of its own with two real agents: host A runs containers only and exports its Volumes over NBD on loopback,
/// host B runs VMs (and has a small pool, so new Volumes go to A). What the Volume holds is written by a container on
/// A and read by the guest on B from its console. In the QEMU collection so that it boots its VM alone.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VolumeAcrossHostsTests
{
    [Fact]
    public async Task A_VM_on_host_B_reads_a_volume_of_host_A_over_NBD_and_detach_stops_the_export()
    {
        QemuHost.RequireQemu();
        using var hostB = new QemuHost();
        await hostB.InstallDemoVmAsync();
        var cloud = await AgentCloud.StartAsync("volnbd", gatewayEnvironment: new Dictionary<string, string>
        {
            ["CIMI_PUBLIC_IMAGES"] = QemuAgentFixture.DemoVm,
        });
        string idA = AgentCloud.NewHostId("vola"), idB = AgentCloud.NewHostId("volb");
        var stateA = cloud.StateDirectoryOf(idA);
        try
        {
            // A: Docker only (the cloud's agents offer QEMU only when told), its pool in its state directory.
            var agentA = await cloud.StartAgentAsync(idA, new Dictionary<string, string>
            {
                ["CIMI_AGENT_VOLUME_POOL_KIB"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["CIMI_AGENT_NBD_HOST"] = "127.0.0.1",
            });
            var environmentB = hostB.AgentEnvironment;
            environmentB["CIMI_AGENT_VOLUME_POOL_KIB"] = (64 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await cloud.StartAgentAsync(idB, environmentB);

            var (client, containerTemplate) = await cloud.NewTenantAsync();
            using var _ = client;
            var vmConfig = await client.PostAsync("machineConfigs", new JsonObject { ["name"] = "vm", ["cpu"] = 1, ["memory"] = 192 * 1024 });
            Assert.True(vmConfig.Code == 201, vmConfig.ToString());
            var vmImage = await client.PostAsync("machineImages", new JsonObject { ["name"] = "vm", ["imageLocation"] = QemuAgentFixture.DemoVm });
            Assert.True(vmImage.Code == 201, vmImage.ToString());

            var volume = await CreateVolumeAsync(client, 16 * 1024);
            Assert.Equal(idA, (await client.GetAsync(volume)).Json["host"]?.GetValue<string>());

            // A container on A (where the Volume pins it) writes the note, then lets go of the Volume.
            var note = $"across-{Guid.NewGuid():N}";
            containerTemplate["volumes"] = new JsonArray(new JsonObject { ["href"] = volume, ["initialLocation"] = "/data" });
            var (container, containerKey) = await CreateAsync(client, containerTemplate);
            Assert.Equal(idA, (await GetAsync(client, container))["host"]?.GetValue<string>());
            var written = await DockerVolumeHost.ShAsync(containerKey, $"echo {note} > /data/note && sync");
            Assert.True(written.Ok, written.Output);
            await DetachAsync(client, container, volume);

            // A VM on B (the only host with QEMU) attaches it while running: over NBD from A.
            var (vm, vmKey) = await CreateAsync(client, new JsonObject
            {
                ["machineConfig"] = new JsonObject { ["href"] = vmConfig.Json["id"]!.GetValue<string>() },
                ["machineImage"] = new JsonObject { ["href"] = vmImage.Json["id"]!.GetValue<string>() },
                ["userData"] = UserData,
            });
            Assert.Equal(idB, (await GetAsync(client, vm))["host"]?.GetValue<string>());
            async Task<string> Console() => (await client.GetAsync(vm + "/console", "text/plain")).Body;
            await WaitListingAsync(Console, l => l.Trim().Length == 0, "no Volume before the attach");
            Assert.Empty(ExportDaemons(stateA));

            await AttachAsync(client, vm, volume, "/mnt/shared");
            var serial = SerialOf(volume);
            await WaitListingAsync(Console, l => l.Contains($":{serial}:{note} ", StringComparison.Ordinal), "the Volume of host A with the container's note");
            Assert.Single(ExportDaemons(stateA));
            Assert.Empty(await LoopDevicesUnderAsync(stateA));
            Assert.Equal([client.Absolute(vm)], (await AttachedToAsync(client, volume)).Select(client.Absolute));

            // The VM has it read-write: nothing else may have it meanwhile.
            var refused = await PostAttachAsync(client, container, volume, "/data");
            Assert.True(refused.Code == 409, $"a container attaching a Volume a VM has read-write: {refused}");
            Assert.Contains($"machines/{LocalId(vm)}", refused.Json["message"]!.GetValue<string>());

            await DetachAsync(client, vm, volume);
            await WaitListingAsync(Console, l => !l.Contains(serial, StringComparison.Ordinal), "the detached Volume to be gone");
            await Eventually.Until(() => Task.FromResult(ExportDaemons(stateA)), d => d.Count == 0, "host A's NBD export to stop");
            Assert.Empty(await AttachedToAsync(client, volume));

            // A new VM naming the Volume at create: its host A runs no VMs, so it is placed on B and reaches it over NBD.
            var (atCreate, atCreateKey) = await CreateAsync(client, new JsonObject
            {
                ["machineConfig"] = new JsonObject { ["href"] = vmConfig.Json["id"]!.GetValue<string>() },
                ["machineImage"] = new JsonObject { ["href"] = vmImage.Json["id"]!.GetValue<string>() },
                ["userData"] = UserData,
                ["volumes"] = new JsonArray(new JsonObject { ["href"] = volume, ["initialLocation"] = "/mnt/shared" }),
            });
            Assert.Equal(idB, (await GetAsync(client, atCreate))["host"]?.GetValue<string>());
            await WaitListingAsync(() => Task.FromResult(hostB.ConsoleOf(atCreateKey)), l => l.Contains($":{serial}:{note} ", StringComparison.Ordinal),
                "the Volume named at create, over NBD from host A");
            Assert.Single(ExportDaemons(stateA));
            // Deleting the Machine detaches it: the export stops and the Volume is AVAILABLE again.
            await DeleteAsync(client, atCreate);
            await Eventually.Until(() => Task.FromResult(ExportDaemons(stateA)), d => d.Count == 0, "host A's NBD export to stop after the delete");
            Assert.Empty(await AttachedToAsync(client, volume));
            Assert.Equal("AVAILABLE", (await client.GetAsync(volume)).Json["state"]!.GetValue<string>());

            await DeleteAsync(client, vm);
            await DeleteAsync(client, container);
            await DeleteVolumeAsync(client, volume);
            Assert.Empty(hostB.Processes());
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(stateA, "volumes")));
            Assert.Empty(await LoopDevicesUnderAsync(stateA));
            Assert.Empty(ExportDaemons(stateA));
            var mounts = await MountsUnderAsync(stateA);
            Assert.True(mounts.Count == 0, $"host A left mounts: {string.Join(", ", mounts)}\n{agentA.Log}");
        }
        finally
        {
            // The agents first: one still running could start an export again.
            await cloud.DisposeAsync();
            KillExportDaemons(stateA);
        }
    }
}
