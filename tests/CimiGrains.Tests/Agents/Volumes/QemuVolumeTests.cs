extern alias agents;
using System.Text;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Protocol;
using CimiGrains.Tests.Agents.Qemu;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// Volumes in VMs through the QEMU driver, booting the demo VM under TCG. What the guest sees comes from its
/// console: a userData script lists the virtio disks and their serials (<c>/sys/block/vd*/serial</c>) whenever
/// they change, one <c>VOLWATCH</c> line each time.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuVolumeTests
{
    /// <summary>The guest script that prints its virtio disks (device:serial) on the console at every change (shared with
    /// the crash tests of hot-plug).</summary>
    internal const string WatchScript = """
        #!/bin/sh
        ( last=x
          while :; do
            now=""
            for b in /sys/block/vd*; do [ -e "$b/serial" ] && now="$now ${b##*/}:$(cat "$b/serial")"; done
            [ "$now" != "$last" ] && echo "VOLWATCH [$now ]" && last="$now"
            sleep 1
          done ) &
        """;

    [Fact]
    public async Task A_VM_sees_a_volume_named_at_create_and_one_hot_plugged_live_loses_it_on_detach_and_keeps_attachments_across_a_stop()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        await host.InstallDemoVmAsync();
        using var pool = new TestVolumePool();
        var state = Directory.CreateTempSubdirectory("cimi-qemuvol-state-");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string machine = $"{tenant}/vm1", atCreate = $"{tenant}/boot-volume-with-a-long-id", hot = $"{tenant}/hotplugged";
        var atCreateFile = await pool.CreateAsync(atCreate, 16);
        await pool.CreateAsync(hot, 16, "qcow2");
        var driver = host.NewDriver(AgentCloud.NewHostId("qemuvol"), state.FullName);
        await driver.CheckAvailableAsync(default);
        AttachedVolume Volume(string key) => new(key, pool.PathOf(key), pool.FormatOf(key)!, null, ReadOnly: false);
        try
        {
            var spec = new WorkloadSpec(QemuAgentFixture.DemoVm, 1, 128 * 1024, tenant, null, null, null,
                Convert.ToBase64String(Encoding.UTF8.GetBytes(WatchScript.Replace("\r", ""))), Start: true, Volumes: [Volume(atCreate)]);
            var created = await driver.CreateAsync(machine, 1, spec, default);
            Assert.Equal([atCreate], created.Volumes);
            // The serial is the Volume's local id, cut to virtio-blk's 20 characters.
            await WaitDisksAsync(host, machine, d => d.Contains(":boot-volume-with-a-l "), "the volume named at create");

            var attached = await driver.AttachVolumeAsync(machine, Volume(hot), default);
            Assert.Equal([atCreate, hot], attached.Volumes);
            await WaitDisksAsync(host, machine, d => d.Contains(":hotplugged ") && d.Contains(":boot-volume-with-a-l "), "the hot-plugged volume");
            // Attaching again changes nothing.
            await driver.AttachVolumeAsync(machine, Volume(hot), default);

            var detached = await driver.DetachVolumeAsync(machine, hot, default);
            Assert.Equal([atCreate], detached.Volumes);
            await WaitDisksAsync(host, machine, d => !d.Contains(":hotplugged ") && d.Contains(":boot-volume-with-a-l "), "the detached volume to be gone");

            // Attached while stopped: on the command line of the next start, with the one from the create.
            await driver.StopAsync(machine, force: true, default);
            Assert.Equal(ObservedState.Stopped, (await driver.AttachVolumeAsync(machine, Volume(hot), default)).State);
            await driver.StartAsync(machine, default);
            await WaitDisksAsync(host, machine, d => d.Contains(":hotplugged ") && d.Contains(":boot-volume-with-a-l "), "both volumes after the start", afterLastBoot: true);

            // A Volume of another host, reached over NBD (here an export qemu-nbd serves on loopback).
            var nbd = await NbdExport.StartAsync(await pool.CreateAsync($"{tenant}/remote", 16, "qcow2"), "qcow2");
            try
            {
                await driver.AttachVolumeAsync(machine, new AttachedVolume($"{tenant}/over-nbd", null, "qcow2", null, false, nbd.Address, NbdExport.Name,
                    NbdExport.Identity, nbd.Psk), default);
                await WaitDisksAsync(host, machine, d => d.Contains(":over-nbd ") && d.Contains(":hotplugged "), "the volume attached over NBD", afterLastBoot: true);
                await driver.DetachVolumeAsync(machine, $"{tenant}/over-nbd", default);
            }
            finally
            {
                nbd.Dispose();
            }

            await driver.DeleteAsync(machine, default);
            // The files go back to root once no VM uses them.
            Assert.Equal("0", await OwnerAsync(atCreateFile));
            Assert.Equal("0", await OwnerAsync(pool.PathOf(hot)!));
        }
        finally
        {
            await driver.DeleteAsync(machine, CancellationToken.None);
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_volume_detached_while_the_guest_is_still_booting_is_released_once_the_guest_listens()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        await host.InstallDemoVmAsync();
        using var pool = new TestVolumePool();
        var state = Directory.CreateTempSubdirectory("cimi-qemuvol-state-");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string machine = $"{tenant}/early", volume = $"{tenant}/early-volume";
        await pool.CreateAsync(volume, 16, "qcow2");
        var driver = host.NewDriver(AgentCloud.NewHostId("qemuvol"), state.FullName);
        await driver.CheckAvailableAsync(default);
        try
        {
            var spec = new WorkloadSpec(QemuAgentFixture.DemoVm, 1, 128 * 1024, tenant, null, null, null,
                Convert.ToBase64String(Encoding.UTF8.GetBytes(WatchScript.Replace("\r", ""))), Start: true);
            await driver.CreateAsync(machine, 1, spec, default);
            // Running as QEMU reports it, its kernel not booted yet: the guest is not listening for the unplug request, so
            // the first one is lost; the request repeated once QEMU lets it be (5 s of guest time) is heard.
            await driver.AttachVolumeAsync(machine, new AttachedVolume(volume, pool.PathOf(volume), "qcow2", null, ReadOnly: false), default);
            var detached = await driver.DetachVolumeAsync(machine, volume, default);
            Assert.Empty(detached.Volumes ?? []);
            await WaitDisksAsync(host, machine, d => !d.Contains(":early-volume "), "no volume once booted");
        }
        finally
        {
            await driver.DeleteAsync(machine, CancellationToken.None);
            state.Delete(recursive: true);
        }
    }

    /// <summary>Waits for the guest's latest disk listing (of the last boot, if asked) to satisfy <paramref name="seen"/>.</summary>
    private static Task<string> WaitDisksAsync(QemuHost host, string machine, Func<string, bool> seen, string what, bool afterLastBoot = false) =>
        Eventually.Until(() => Task.FromResult(LatestDisks(host.ConsoleOf(machine), afterLastBoot)), d => d is not null && seen(d),
            $"the guest to list {what}", TimeSpan.FromSeconds(120))!;

    /// <summary>The disks the guest listed last (optionally since its last boot), or null before it listed any.</summary>
    internal static string? LatestDisks(string console, bool afterLastBoot = false)
    {
        if (afterLastBoot && console.LastIndexOf("BOOTING", StringComparison.Ordinal) is var boot and >= 0) console = console[boot..];
        var line = console.Split('\n').LastOrDefault(l => l.Contains("VOLWATCH [", StringComparison.Ordinal));
        return line?[(line.IndexOf('[') + 1)..];
    }

    private static async Task<string> OwnerAsync(string path) => (await TestVolumePool.RunAsync("stat", "-c", "%u", path)).Trim();

    /// <summary>A file exported over NBD on loopback by qemu-nbd, TLS with a pre-shared key as the owning host's agent
    /// serves it (the owning host's side of a cross-host attachment).</summary>
    private sealed class NbdExport(System.Diagnostics.Process process, int port, DirectoryInfo keys, string psk) : IDisposable
    {
        public const string Name = "volume", Identity = "mtest";

        public string Address => $"127.0.0.1:{port}";

        public string Psk => psk;

        public static async Task<NbdExport> StartAsync(string file, string format)
        {
            var port = FreePorts.Take(1)[0];
            var keys = Directory.CreateTempSubdirectory("cimi-nbd-keys-");
            var psk = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            await File.WriteAllTextAsync(Path.Combine(keys.FullName, "keys.psk"), $"{Identity}:{psk}\n");
            var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("qemu-nbd",
                ["-f", format, "-x", Name, "-b", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--persistent", "--shared=2",
                 "--object", $"tls-creds-psk,id=tls0,endpoint=server,dir={keys.FullName}", "--tls-creds", "tls0", file])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            })!;
            await Eventually.Until(async () =>
            {
                using var probe = new System.Net.Sockets.TcpClient();
                try
                {
                    await probe.ConnectAsync("127.0.0.1", port);
                    return true;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return process.HasExited;
                }
            }, up => up, "qemu-nbd to listen");
            if (process.HasExited) throw new InvalidOperationException($"qemu-nbd exited: {await process.StandardError.ReadToEndAsync()}");
            return new NbdExport(process, port, keys, psk);
        }

        public void Dispose()
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit(5000);
            process.Dispose();
            keys.Delete(recursive: true);
        }
    }
}
