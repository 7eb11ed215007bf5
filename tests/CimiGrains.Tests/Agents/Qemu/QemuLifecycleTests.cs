using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents.Qemu;

/// <summary>
/// Machines as QEMU VMs, end to end: the real gateway and agent, QEMU under TCG, the demo VM image. What
/// QEMU does is checked from outside the agent: /proc, the runtime directory, the guest's serial console.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class QemuLifecycleTests(QemuAgentFixture fixture)
{
    private QemuHost Host => fixture.Host;

    /// <summary>The guest's userData: what the guest can reach (interfaces, routes, a TCP connect to the
    /// gateway's port on the host), a mark on its disk (kept by a capture), and enough output to make the
    /// console log rotate.</summary>
    private string ProbeScript => $$"""
        #!/bin/sh
        echo "PROBE data=$(ls /data | tr '\n' ',')"
        echo "PROBE ifaces=$(ls /sys/class/net | tr '\n' ',')"
        echo "PROBE routes=$(ip route 2>&1 | tr '\n' ';')"
        for target in 10.0.2.2 192.168.122.1 127.0.0.1; do
          if echo probe | nc -w 3 $target {{fixture.Cloud.Gateway.BaseAddress.Port}} >/dev/null 2>&1; then r=open; else r=unreachable; fi
          echo "PROBE reach $target:{{fixture.Cloud.Gateway.BaseAddress.Port}}=$r"
        done
        [ -f /data/mark ] || { echo "mark-$(cat /proc/sys/kernel/random/boot_id)" > /data/mark; sync; }
        echo "PROBE mark=$(cat /data/mark)"
        # Once, on the second boot: the first boot's lines are read before the log rotates.
        if [ -f /data/booted ] && [ ! -f /data/filled ]; then
          i=0; while [ $i -lt 400 ]; do echo "FILL $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done
          touch /data/filled
        fi
        touch /data/booted; sync
        echo "PROBE done"
        """;

    [Fact]
    public async Task A_VM_boots_from_the_demo_image_and_every_action_shows_in_QEMU_and_on_its_console()
    {
        var (client, template) = await fixture.NewTenantAsync();
        template["credential"] = new JsonObject { ["userName"] = "operator", ["password"] = "pw-123" };
        template["userData"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ProbeScript.Replace("\r", "")));
        var (id, key) = await CreateAsync(client, template);
        string? copyId = null;
        try
        {
            Assert.Equal("STARTED", await StateAsync(client, id));
            var qemu = Assert.Single(Host.ProcessesOf(key));
            Assert.Equal("1", After(qemu.Arguments, "-smp"));
            Assert.Equal("192", After(qemu.Arguments, "-m"));
            Assert.Equal("none", After(qemu.Arguments, "-nic"));
            Assert.DoesNotContain("-netdev", qemu.Arguments);
            // No NIC: the only devices given by -device are the PCIe root ports kept for hot-plugged Volumes and network interfaces.
            Assert.All(qemu.Arguments.Where((_, i) => i > 0 && qemu.Arguments[i - 1] == "-device"), d => Assert.StartsWith("pcie-root-port,", d));
            // Read before the userData's output makes the log rotate.
            var up = await Host.WaitConsoleAsync(key, c => c.Contains("PROBE mark="), "the guest's userData to run");
            // The image's disk is the guest's /data (through the overlay); what the tests below write there
            // must survive reboots and reach the capture.
            Assert.True(up.Contains("CIMIGRAINS-DEMO-VM DATA dev=/dev/vda mounted=/data"), "the demo VM did not mount its disk at /data on the first boot");
            Assert.Contains("CIMIGRAINS-DEMO-VM ADMIN user=operator password=set", up);
            Assert.DoesNotContain("pw-123", up);

            // No NIC: the guest has only its loopback, no route, and the host's services are out of reach.
            Assert.Contains("PROBE ifaces=lo,", up);
            Assert.Matches(@"PROBE reach 10\.0\.2\.2:\d+=unreachable", up);
            Assert.Matches(@"PROBE reach 192\.168\.122\.1:\d+=unreachable", up);
            Assert.Matches(@"PROBE reach 127\.0\.0\.1:\d+=unreachable", up);

            await Host.WaitConsoleAsync(key, c => c.Contains("PROBE done"), "the guest's userData to finish");
            var dir = Host.DirectoryOf(key)!;

            var boot = BootIdOf(await Host.WaitConsoleAsync(key, c => Alive(c).Count > 0, "an ALIVE line"));

            await ActAsync(client, id, "pause");
            Assert.Equal("PAUSED", await StateAsync(client, id));
            Assert.Equal(qemu.Pid, Assert.Single(Host.ProcessesOf(key)).Pid);
            await ActAsync(client, id, "start");
            Assert.Equal("STARTED", await StateAsync(client, id));

            // Suspend: the process goes, the guest's state is on disk; start brings back the same boot.
            await Host.WaitConsoleAsync(key, c => Alive(c).Count > 0, "an ALIVE line");
            var uptimeBefore = Alive(Host.ConsoleOf(key)).Last().Uptime;
            await ActAsync(client, id, "suspend");
            Assert.Equal("SUSPENDED", await StateAsync(client, id));
            Assert.Empty(Host.ProcessesOf(key));
            Assert.True(File.Exists(Path.Combine(dir, "suspend.state")), "no saved state after suspend");
            await ActAsync(client, id, "start");
            Assert.Equal("STARTED", await StateAsync(client, id));
            var restored = Assert.Single(Host.ProcessesOf(key));
            Assert.NotEqual(qemu.Pid, restored.Pid);
            Assert.False(File.Exists(Path.Combine(dir, "suspend.state")), "the saved state outlived its restore");
            var resumed = await Host.WaitConsoleAsync(key, c => Alive(c).Any(a => a.Uptime > uptimeBefore), "an ALIVE line after the restore");
            Assert.All(Alive(resumed), a => Assert.Equal(boot, a.Boot));

            // Restart resets the guest: a new boot.
            await ActAsync(client, id, "restart");
            await Host.WaitConsoleAsync(key, c => UpBoots(c).Any(b => b != boot), "the guest up again after the reset");

            // The console log is bounded: the second boot's userData output made it rotate (65536 bytes in all).
            await Eventually.Until(() => Task.FromResult(File.Exists(Path.Combine(dir, "console.log.1"))), r => r, "console.log to be rotated",
                TimeSpan.FromSeconds(60));
            Assert.True(new FileInfo(Path.Combine(dir, "console.log")).Length + new FileInfo(Path.Combine(dir, "console.log.1")).Length <= 65536 + 8192,
                "the console logs together exceed their bound");
            Assert.Equal(restored.Pid, Assert.Single(Host.ProcessesOf(key)).Pid);

            // Stop: ACPI power button, the guest powers off, the process is gone.
            await ActAsync(client, id, "stop");
            Assert.Equal("STOPPED", await StateAsync(client, id));
            Assert.Empty(Host.ProcessesOf(key));
            Assert.Contains("CIMIGRAINS-DEMO-VM POWEROFF reason=acpi-power-button", Host.ConsoleOf(key));
            var stoppedBoot = UpBoots(Host.ConsoleOf(key)).Last();
            await ActAsync(client, id, "start");
            await Host.WaitConsoleAsync(key, c => UpBoots(c).LastOrDefault() is { } b && b != stoppedBoot, "the guest up after stop and start");
            await Host.WaitConsoleAsync(key, c => c.Contains("PROBE done") && c.LastIndexOf("PROBE done") > c.LastIndexOf("BOOTING"), "the userData of the new boot");
            // The disk is the same through every boot: what the first boot wrote is still there.
            var mark = Assert.Single(Regex.Matches(Host.ConsoleOf(key), @"PROBE mark=(\S+)").Select(m => m.Groups[1].Value).Distinct());

            // Capture while running: a standalone image directory; the Machine keeps running.
            var capture = await client.PostAsync("machineImages", new JsonObject { ["name"] = "snap", ["imageLocation"] = client.Absolute(id) });
            Assert.True(capture.Code == 202, $"capture: {capture}");
            var job = await client.WaitForJobAsync(capture.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(120));
            Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the capture Job: {job}\n{fixture.Agent.Log}");
            var imageUri = capture.Header("Location")!;
            var location = (await client.GetAsync(imageUri)).Json["imageLocation"]!.GetValue<string>();
            Assert.StartsWith("qemu:cimigrains/capture:", location);
            var captured = Path.Combine(Host.ImagesDirectory, location["qemu:".Length..]);
            Assert.True(File.Exists(Path.Combine(captured, "image.json")), $"{captured}/image.json is missing");
            var info = await QemuHost.RunAsync("qemu-img", "info", "--output=json", Path.Combine(captured, "disk.qcow2"));
            Assert.Equal("qcow2", JsonNode.Parse(info.Output)!["format"]!.GetValue<string>());
            Assert.Null(JsonNode.Parse(info.Output)!["backing-filename"]);
            Assert.Equal("STARTED", await StateAsync(client, id));

            // The capture boots, with the disk as it was.
            var fromCapture = new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(),
                ["machineImage"] = new JsonObject { ["href"] = imageUri },
                ["userData"] = template["userData"]!.DeepClone(),
            };
            var (cId, copyKey) = await CreateAsync(client, fromCapture);
            copyId = cId;
            var copyConsole = await Host.WaitConsoleAsync(copyKey, c => c.Contains("PROBE mark="), "the VM made from the capture to run its userData");
            Assert.Contains($"PROBE mark={mark}", copyConsole);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException || true)
        {
            throw new InvalidOperationException($"{e.Message}\n--- agent log ---\n{fixture.Agent.Log}\n--- console ---\n{Host.ConsoleOf(key)}", e);
        }
        finally
        {
            if (copyId is not null) await DeleteAsync(client, copyId);
            await DeleteAsync(client, id);
        }
        // Nothing of the Machine is left: no process, no directory, no record.
        Assert.Empty(Host.ProcessesOf(key));
        Assert.Null(Host.DirectoryOf(key));
        Assert.Empty(Host.Processes());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Host.RuntimeDirectory, "m-*"));
    }

    [Theory]
    [InlineData(QemuAgentFixture.NotAnImage, "broken/notes.txt")]
    [InlineData(QemuAgentFixture.MissingImage, "broken/missing.qcow2")]
    public async Task A_create_from_a_missing_or_non_image_file_fails_naming_it_and_leaves_nothing(string imageLocation, string named)
    {
        var (client, template) = await fixture.NewTenantAsync(imageLocation);
        var response = await client.PostAsync("machines", new JsonObject { ["name"] = "bad", ["machineTemplate"] = template });
        Assert.True(response.Code == 202, $"creating the Machine: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.Equal("FAILED", job["state"]!.GetValue<string>());
        Assert.Contains(named, job["statusMessage"]!.GetValue<string>());
        var key = KeyOf(client, response.Header("Location")!);
        Assert.Null(Host.DirectoryOf(key));
        Assert.Empty(Host.ProcessesOf(key));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Host.RuntimeDirectory, "m-*"));
    }

    private static string? After(string[] arguments, string option) =>
        Array.IndexOf(arguments, option) is var i and >= 0 && i + 1 < arguments.Length ? arguments[i + 1] : null;

    private static string BootIdOf(string console) => Alive(console).Last().Boot;

    private static List<(string Boot, int Uptime)> Alive(string console) =>
        AliveLine().Matches(console).Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value))).ToList();

    private static List<string> UpBoots(string console) => UpLine().Matches(console).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"CIMIGRAINS-DEMO-VM ALIVE boot=(\S+) uptime=(\d+)")]
    private static partial Regex AliveLine();

    [GeneratedRegex(@"CIMIGRAINS-DEMO-VM UP \S+ \S+ boot=(\S+)")]
    private static partial Regex UpLine();
}
