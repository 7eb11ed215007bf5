using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Meters;
using CimiGrains.Agents.Protocol;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents;

public sealed partial class AgentWorker
{
    /// <summary>
    /// Reads every running Machine's counters, every Volume of the pool and every NetworkPort plugged here, each sampling period and sends them as one SampleBatch on
    /// the session's outbox, for as long as the session lasts. Every Machine is sampled, whether a Meter
    /// asks for it or not: the readings are cheap (one engine call per container; per VM, two /proc reads, one
    /// QMP command bounded in time and its taps' sysfs counters) and the agent then needs to know nothing about
    /// Meters. A VM's share of its attached Volumes' I/O is added to those Volumes' readings.
    /// </summary>
    private async Task SampleAsync(CancellationToken ct)
    {
        if (options.SamplingPeriodSeconds <= 0) return;
        var period = TimeSpan.FromSeconds(options.SamplingPeriodSeconds);
        var sampler = new HostSampler();
        using var timer = new PeriodicTimer(period);
        do
        {
            var readings = new List<WorkloadCounters>();
            foreach (var driver in drivers.Available)
            {
                try
                {
                    readings.AddRange(await driver.ReadCountersAsync(ct));
                }
                catch (DriverException e)
                {
                    LogSamplingFailed($"{driver.Name} driver", e.Message);
                }
            }
            var batch = sampler.Next(readings, options.SamplingPeriodSeconds);
            try
            {
                var volumes = pool.List().Select(r => (r.Key, Path: pool.PathOf(r.Key))).Where(v => v.Path is not null).Select(v => (v.Key, v.Path!));
                sampler.AddVolumes(batch, Volumes.VolumeCounters.Read(volumes, TimeProvider.System), readings);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogSamplingFailed("volume pool", e.Message);
            }
            if (networkPlane is { Enabled: true } plane)
            {
                try
                {
                    sampler.AddPorts(batch, await plane.ReadPortCountersAsync(ct));
                }
                catch (Exception e) when (e is DriverException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
                {
                    LogSamplingFailed("network plane", e.Message);
                }
            }
            if (batch.Samples.Count > 0 || batch.Volumes.Count > 0 || batch.Ports.Count > 0) _outbox?.Writer.TryWrite(new AgentMessage { Samples = batch });
        }
        while (await timer.WaitForNextTickAsync(ct));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Driver} could not read its counters: {Reason}")]
    private partial void LogSamplingFailed(string driver, string reason);
}
