using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;

namespace CimiGrains.Agents.Meters;

/// <summary>
/// Turns the drivers' cumulative counters into one SampleBatch per sampling period: CPU utilisation in
/// percent of one host CPU and I/O in bytes per second, each over the time between this reading of a
/// Machine and its previous one; memory as read. A Machine's first reading (or one after a counter went
/// backwards, as after a restart of its workload) gives no rates, only memory. The aspect names are
/// MeterAspect's (src/Interfaces/Meters).
/// </summary>
public sealed class HostSampler
{
    private readonly Dictionary<string, WorkloadCounters> _previous = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Volumes.VolumeCounters> _previousVolumes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset At, Networks.LinkCounters Counters)> _previousPorts = new(StringComparer.Ordinal);
    private readonly Dictionary<(string VolumeKey, string MachineKey), (DateTimeOffset At, VolumeIo Io)> _previousInMachines = [];

    public SampleBatch Next(IReadOnlyList<WorkloadCounters> readings, int periodSeconds)
    {
        var batch = new SampleBatch { PeriodSeconds = periodSeconds };
        foreach (var now in readings)
        {
            var sample = new MachineSample { MachineKey = now.MachineKey, UnixMs = now.At.ToUnixTimeMilliseconds() };
            if (now.MemoryBytes is { } memory) sample.Values["memory.used"] = memory;
            if (_previous.TryGetValue(now.MachineKey, out var before) && now.At > before.At)
            {
                var seconds = (now.At - before.At).TotalSeconds;
                Rate(sample.Values, "cpu.utilization", before.CpuNanoseconds, now.CpuNanoseconds, seconds, 100.0 / 1e9);
                Rate(sample.Values, "disk.read", before.DiskReadBytes, now.DiskReadBytes, seconds, 1);
                Rate(sample.Values, "disk.write", before.DiskWriteBytes, now.DiskWriteBytes, seconds, 1);
                Rate(sample.Values, "network.received", before.NetworkReceivedBytes, now.NetworkReceivedBytes, seconds, 1);
                Rate(sample.Values, "network.transmitted", before.NetworkTransmittedBytes, now.NetworkTransmittedBytes, seconds, 1);
            }
            _previous[now.MachineKey] = now;
            if (sample.Values.Count > 0) batch.Samples.Add(sample);
        }
        // Machines no longer running are forgotten, so a restarted one starts afresh.
        foreach (var gone in _previous.Keys.Except(readings.Select(r => r.MachineKey)).ToList()) _previous.Remove(gone);
        return batch;
    }

    /// <summary>
    /// The pool's Volumes into <paramref name="batch"/>: the bytes each file occupies as read, and its I/O as rates
    /// over the time since the previous reading, summed over where the host sees it: the loop devices behind the file
    /// (a container's mount) and the devices of the VMs it is attached to (<see cref="WorkloadCounters.Volumes"/> of
    /// this round's <paramref name="machines"/>). Each of those is rated against its own previous reading, so one that
    /// appears, restarts from zero (a loop device set up again, a VM launched again) or misses a round gives no rate
    /// for itself that round and never a jump in the sum; a Volume none of them rates has no I/O sample.
    /// </summary>
    public void AddVolumes(SampleBatch batch, IReadOnlyList<Volumes.VolumeCounters> readings, IReadOnlyList<WorkloadCounters> machines)
    {
        var inMachines = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        var seen = new HashSet<(string, string)>();
        foreach (var machine in machines)
        {
            foreach (var io in machine.Volumes ?? [])
            {
                var source = (io.VolumeKey, machine.MachineKey);
                seen.Add(source);
                if (_previousInMachines.TryGetValue(source, out var before) && machine.At > before.At)
                {
                    var values = inMachines.TryGetValue(io.VolumeKey, out var known) ? known : inMachines[io.VolumeKey] = [];
                    var seconds = (machine.At - before.At).TotalSeconds;
                    AddRate(values, "disk.read", before.Io.ReadBytes, io.ReadBytes, seconds);
                    AddRate(values, "disk.write", before.Io.WriteBytes, io.WriteBytes, seconds);
                }
                _previousInMachines[source] = (machine.At, io);
            }
        }
        foreach (var gone in _previousInMachines.Keys.Where(k => !seen.Contains(k)).ToList()) _previousInMachines.Remove(gone);

        foreach (var now in readings)
        {
            var sample = new VolumeSample { VolumeKey = now.VolumeKey, UnixMs = now.At.ToUnixTimeMilliseconds() };
            sample.Values["volume.used"] = now.AllocatedBytes;
            if (_previousVolumes.TryGetValue(now.VolumeKey, out var before) && now.At > before.At)
            {
                var seconds = (now.At - before.At).TotalSeconds;
                AddRate(sample.Values, "disk.read", before.ReadBytes, now.ReadBytes, seconds);
                AddRate(sample.Values, "disk.write", before.WriteBytes, now.WriteBytes, seconds);
            }
            foreach (var (aspect, rate) in inMachines.GetValueOrDefault(now.VolumeKey) ?? []) AddRate(sample.Values, aspect, rate);
            _previousVolumes[now.VolumeKey] = now;
            batch.Volumes.Add(sample);
        }
        foreach (var gone in _previousVolumes.Keys.Except(readings.Select(r => r.VolumeKey)).ToList()) _previousVolumes.Remove(gone);
    }

    /// <summary>
    /// The NetworkPorts plugged here into <paramref name="batch"/>: bytes and packets per second each way, from the
    /// workload's side, over the time since the port's previous reading. A port's first reading, or one after its
    /// device was made again (counters back at zero), gives no sample.
    /// </summary>
    public void AddPorts(SampleBatch batch, IReadOnlyList<Networks.PortCounters> readings)
    {
        foreach (var (key, at, now) in readings)
        {
            if (_previousPorts.TryGetValue(key, out var before) && at > before.At)
            {
                var seconds = (at - before.At).TotalSeconds;
                var sample = new PortSample { PortKey = key, UnixMs = at.ToUnixTimeMilliseconds() };
                var was = before.Counters;
                Rate(sample.Values, "network.received", was.WorkloadReceivedBytes, now.WorkloadReceivedBytes, seconds, 1);
                Rate(sample.Values, "network.transmitted", was.WorkloadTransmittedBytes, now.WorkloadTransmittedBytes, seconds, 1);
                Rate(sample.Values, "network.packets.received", was.WorkloadReceivedPackets, now.WorkloadReceivedPackets, seconds, 1);
                Rate(sample.Values, "network.packets.transmitted", was.WorkloadTransmittedPackets, now.WorkloadTransmittedPackets, seconds, 1);
                if (sample.Values.Count > 0) batch.Ports.Add(sample);
            }
            _previousPorts[key] = (at, now);
        }
        foreach (var gone in _previousPorts.Keys.Except(readings.Select(r => r.NetworkPortKey)).ToList()) _previousPorts.Remove(gone);
    }

    private static double? RateOf(long? before, long? now, double seconds) => before is { } b && now is { } n && n >= b ? (n - b) / seconds : null;

    private static void Rate(IDictionary<string, double> values, string aspect, long? before, long? now, double seconds, double scale)
    {
        if (RateOf(before, now, seconds) is { } rate) values[aspect] = rate * scale;
    }

    private static void AddRate(IDictionary<string, double> values, string aspect, long? before, long? now, double seconds)
    {
        if (RateOf(before, now, seconds) is { } rate) AddRate(values, aspect, rate);
    }

    private static void AddRate(IDictionary<string, double> values, string aspect, double rate) =>
        values[aspect] = values.TryGetValue(aspect, out var sum) ? sum + rate : rate;
}
