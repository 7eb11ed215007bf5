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
    /// The pool's Volumes into <paramref name="batch"/>: the bytes each file occupies as read, and the I/O of
    /// the loop devices behind it as rates over the time since its previous reading (a loop device set up
    /// again starts its counters at zero: a counter that went backwards gives no rate).
    /// </summary>
    public void AddVolumes(SampleBatch batch, IReadOnlyList<Volumes.VolumeCounters> readings)
    {
        foreach (var now in readings)
        {
            var sample = new VolumeSample { VolumeKey = now.VolumeKey, UnixMs = now.At.ToUnixTimeMilliseconds() };
            sample.Values["volume.used"] = now.AllocatedBytes;
            if (_previousVolumes.TryGetValue(now.VolumeKey, out var before) && now.At > before.At)
            {
                var seconds = (now.At - before.At).TotalSeconds;
                Rate(sample.Values, "disk.read", before.ReadBytes, now.ReadBytes, seconds, 1);
                Rate(sample.Values, "disk.write", before.WriteBytes, now.WriteBytes, seconds, 1);
            }
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

    private static void Rate(IDictionary<string, double> values, string aspect, long? before, long? now, double seconds, double scale)
    {
        if (before is { } b && now is { } n && n >= b) values[aspect] = (n - b) / seconds * scale;
    }
}
