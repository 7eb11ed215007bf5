extern alias agents;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Meters;
using agents::CimiGrains.Agents.Protocol;
using agents::CimiGrains.Agents.Volumes;

namespace CimiGrains.Tests.Agents.Meters;

/// <summary>
/// A Volume's I/O rates as the sampler makes them from where the host sees the Volume: its loop devices (a container's
/// mount) and the devices of the VMs it is attached to, each source rated against its own previous reading.
/// </summary>
public sealed class HostSamplerTests
{
    private const string Volume = "t1/data", Idle = "t1/idle";
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_volumes_write_rate_sums_its_loop_devices_and_the_VMs_it_is_attached_to_and_a_source_that_misses_a_round_never_jumps()
    {
        var sampler = new HostSampler();
        // Each round: (the loop devices' written bytes, VM 1's, VM 2's); null where that source gives no reading.
        (long? Loop, long? Vm1, long? Vm2)[] rounds =
        [
            (null, 1000, null),   // first readings: no rates
            (null, 3000, null),   // VM 1 wrote 2000 in the second
            (500, 5000, null),    // the loop device appears (no rate of its own yet): VM 1's 2000
            (1500, null, null),   // VM 1's monitor did not answer: the loop device's 1000 alone
            (2500, 9000, null),   // VM 1 is back but was forgotten: its 4000 since its last reading is not a rate now
            (3500, 10000, 0),     // the loop's 1000, VM 1's 1000; VM 2 just attached
            (4500, 10000, 300),   // 1000 + 0 + 300
        ];
        double?[] expected = [null, 2000, 2000, 1000, 1000, 2000, 1300];
        for (var i = 0; i < rounds.Length; i++)
        {
            var at = Start.AddSeconds(i);
            var (loop, vm1, vm2) = rounds[i];
            WorkloadCounters Vm(string key, long? written) =>
                new(key, at, 1, 1, 0, 0, 0, 0, written is { } w ? [new VolumeIo(Volume, 0, w)] : null);
            IReadOnlyList<WorkloadCounters> machines = [Vm("t1/vm1", vm1), Vm("t1/vm2", vm2)];
            var batch = sampler.Next(machines, 1);
            sampler.AddVolumes(batch, [new VolumeCounters(Volume, at, 4096, loop is null ? null : 0, loop), new VolumeCounters(Idle, at, 4096, null, null)], machines);

            var sample = batch.Volumes.Single(v => v.VolumeKey == Volume);
            Assert.True(expected[i] == (sample.Values.TryGetValue("disk.write", out var rate) ? rate : null),
                $"round {i}: expected disk.write {expected[i]?.ToString() ?? "none"}, got {(sample.Values.ContainsKey("disk.write") ? rate : "none")}");
            Assert.Equal(4096, sample.Values["volume.used"]);
            // A Volume nothing reads has its used capacity and no I/O.
            Assert.Equal(["volume.used"], batch.Volumes.Single(v => v.VolumeKey == Idle).Values.Keys);
        }
    }
}
