extern alias agents;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Protocol;
using CimiGrains.Tests.Agents.Networks;
using CimiGrains.Tests.Agents.Qemu;
using CimiGrains.Tests.Agents.Volumes;

namespace CimiGrains.Tests.Agents.Meters;

/// <summary>
/// A VM's counters as the QEMU driver reads them, booting the demo VM under TCG with a Volume and a network interface
/// (a real tap on no bridge). The guest's userData writes to the Volume's disk and to a file on its boot disk, sends
/// on its interface, then prints its own counters of both: the Volume disk's sectors written and the NIC's bytes sent.
/// The driver's readings must match what the guest counted: QMP's block statistics are the guest's requests per
/// device (/proc's process I/O is not per device, and counts through the host's page cache), the tap's counters are
/// the NIC's traffic seen from the host.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class QemuMeterTests
{
    private const string Script = """
        #!/bin/sh
        ( vol=""
          for b in /sys/block/vd*; do [ "$(cat $b/serial 2>/dev/null)" = metered ] && vol=${b##*/}; done
          dd if=/dev/urandom of=/dev/$vol bs=64k count=64 conv=fsync 2>/dev/null
          dd if=/dev/urandom of=/data/blob bs=64k count=64 conv=fsync 2>/dev/null
          ping -c 3 -W 1 10.30.0.1 >/dev/null 2>&1
          echo "METERTEST vol=$vol written=$(awk '{print $7}' /sys/block/$vol/stat) sent=$(cat /sys/class/net/eth0/statistics/tx_bytes)"
        ) &
        """;

    [Fact]
    public async Task A_VMs_disk_IO_comes_from_its_block_statistics_its_Volumes_share_from_its_device_and_its_traffic_from_its_tap()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        await host.InstallDemoVmAsync();
        using var pool = new TestVolumePool();
        await using var plane = new RecordingNetworkPlane();
        var state = Directory.CreateTempSubdirectory("cimi-qemumeter-state-");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string machine = $"{tenant}/vm1", volume = $"{tenant}/metered";
        await pool.CreateAsync(volume, 16, "raw");
        var nic = DockerNetworkHost.Nic($"{tenant}/nic-a", $"{tenant}/net1", "eth0", "10.30.0.5/24", "10.30.0.1");
        var driver = host.NewDriver(AgentCloud.NewHostId("qemumeter"), state.FullName, plane);
        await driver.CheckAvailableAsync(default);
        int? stopped = null;
        try
        {
            var spec = new WorkloadSpec(QemuAgentFixture.DemoVm, 1, 128 * 1024, tenant, null, null, null,
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Script.Replace("\r", ""))), Start: true,
                Volumes: [new AttachedVolume(volume, pool.PathOf(volume), "raw", null, ReadOnly: false)], NetworkInterfaces: [nic]);
            await driver.CreateAsync(machine, 1, spec, default);
            var console = await host.WaitConsoleAsync(machine, c => Reported().IsMatch(c), "the guest's own counters after its writes and pings");
            var report = Reported().Match(console);
            long sectors = long.Parse(report.Groups["written"].Value), sent = long.Parse(report.Groups["sent"].Value);
            Assert.True(sectors * 512 >= 4L * 1024 * 1024, $"the guest wrote 4 MiB to {report.Groups["vol"].Value}, its stat says {sectors} sectors");
            Assert.True(sent > 0, "the guest sent nothing on eth0");

            // The Volume's raw disk takes no other write once the guest's dd has synced: its share is exactly the guest's.
            var reading = await Eventually.Until(async () => (await driver.ReadCountersAsync(default)).SingleOrDefault(r => r.MachineKey == machine),
                r => r?.Volumes?.SingleOrDefault(v => v.VolumeKey == volume)?.WriteBytes == sectors * 512 && r.NetworkTransmittedBytes >= sent,
                $"the VM's reading to show the {sectors * 512} bytes the guest wrote to its Volume and the {sent} bytes it sent", TimeSpan.FromSeconds(30));
            // The Machine's writes are all its disks': the Volume's and the 4 MiB written to /data on the boot disk.
            Assert.True(reading!.DiskWriteBytes >= sectors * 512 + 4L * 1024 * 1024, $"the Machine's disk.write counter is {reading.DiskWriteBytes} bytes");
            Assert.True(reading.DiskReadBytes > 0, "the guest read its disks at boot, the counter says nothing");
            Assert.NotNull(reading.NetworkReceivedBytes);
            Assert.NotNull(reading.CpuNanoseconds);

            // A VM whose monitor does not answer (its QEMU stopped) gives no disk reading, within the sampler's bound.
            var (pid, _) = Assert.Single(host.ProcessesOf(machine));
            stopped = pid;
            await QemuHost.RunAsync("kill", "-STOP", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var clock = Stopwatch.StartNew();
            var stalled = (await driver.ReadCountersAsync(default)).Single(r => r.MachineKey == machine);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"reading a stalled VM took {clock.Elapsed}");
            Assert.Null(stalled.DiskWriteBytes);
            Assert.Null(stalled.Volumes);
            Assert.NotNull(stalled.CpuNanoseconds);
            await QemuHost.RunAsync("kill", "-CONT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            stopped = null;
            // Back: the late reply to the timed-out command is dropped, and each command gets its own answer again.
            await Eventually.Until(async () => (await driver.ReadCountersAsync(default)).Single(r => r.MachineKey == machine),
                r => r.Volumes?.Single().WriteBytes == sectors * 512, "the disk readings to come back once QEMU runs again");
            Assert.Equal(ObservedState.Running, (await driver.InspectAsync(machine, default)).State);

            await driver.DeleteAsync(machine, default);
        }
        finally
        {
            if (stopped is { } pid) await QemuHost.RunAsync("kill", "-CONT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await driver.DeleteAsync(machine, CancellationToken.None);
            state.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"METERTEST vol=(?<vol>vd[a-z]+) written=(?<written>\d+) sent=(?<sent>\d+)")]
    private static partial Regex Reported();
}
