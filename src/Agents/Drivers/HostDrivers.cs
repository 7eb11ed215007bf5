using System.Collections.Concurrent;
using CimiGrains.Agents.Protocol;
using CimiGrains.Hosts;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Drivers;

/// <summary>
/// The drivers this agent has (each driver's folder registers itself by name) and, after
/// <see cref="ProbeAsync"/>, those that can actually run here: only these are advertised to the cluster.
/// A create goes to the driver its image location's scheme names (<see cref="ImageLocation"/>, the rule
/// the cluster places by); every later command to the driver that holds the Machine's workload.
/// </summary>
public sealed partial class HostDrivers(IEnumerable<IMachineDriver> registered, ILogger<HostDrivers> logger)
{
    private readonly ConcurrentDictionary<string, IMachineDriver> _holding = new(StringComparer.Ordinal);
    private IReadOnlyList<IMachineDriver> _available = [];

    /// <summary>The drivers that passed the probe, in registration order.</summary>
    public IReadOnlyList<IMachineDriver> Available => _available;

    /// <summary>Asks every registered driver whether it can run here. Fails when none can: an agent
    /// without a driver would only take capacity the scheduler could never use.</summary>
    public async Task ProbeAsync(CancellationToken ct)
    {
        var usable = new List<IMachineDriver>();
        var refusals = new List<string>();
        foreach (var driver in registered)
        {
            try
            {
                await driver.CheckAvailableAsync(ct);
                usable.Add(driver);
                LogAvailable(driver.Name);
            }
            catch (DriverException e)
            {
                refusals.Add($"{driver.Name}: {e.Message}");
                LogUnavailable(driver.Name, e.Message);
            }
        }
        if (usable.Count == 0)
            throw new DriverException($"No driver can run on this host ({(refusals.Count > 0 ? string.Join("; ", refusals) : "none is registered")}).");
        _available = usable;
    }

    /// <summary>The available driver called <paramref name="name"/>.</summary>
    public IMachineDriver Named(string name) =>
        _available.FirstOrDefault(d => d.Name == name)
        ?? throw new DriverException($"This host has no usable '{name}' driver (it offers {string.Join(", ", _available.Select(d => d.Name))}).");

    /// <summary>The driver the scheme of <paramref name="imageLocation"/> names.</summary>
    public IMachineDriver ForImage(string imageLocation) =>
        ImageLocation.TryParse(imageLocation, out var location, out var problem) ? Named(location!.Driver) : throw new DriverException(problem!);

    /// <summary>Every available driver's workloads; each is remembered as held by the driver that listed it.</summary>
    public async Task<IReadOnlyList<WorkloadStatus>> ListAsync(CancellationToken ct)
    {
        var all = new List<WorkloadStatus>();
        foreach (var driver in _available)
        {
            foreach (var workload in await driver.ListAsync(ct))
            {
                _holding[workload.MachineKey] = driver;
                all.Add(workload);
            }
        }
        return all;
    }

    /// <summary>Records what a driver just did with a Machine's workload (made it, reported it, or removed it).</summary>
    public void Observed(IMachineDriver driver, WorkloadStatus status)
    {
        if (status.State == ObservedState.Absent) _holding.TryRemove(new KeyValuePair<string, IMachineDriver>(status.MachineKey, driver));
        else _holding[status.MachineKey] = driver;
    }

    /// <summary>
    /// The driver holding the Machine's workload: the one that listed, made or reported it, else the one
    /// that finds it now. With no workload anywhere, the first driver answers (every driver treats an
    /// absent workload alike: a stop fails, a delete succeeds).
    /// </summary>
    public async Task<IMachineDriver> HoldingAsync(string machineKey, CancellationToken ct)
    {
        if (_holding.TryGetValue(machineKey, out var known)) return known;
        if (_available.Count == 1) return _available[0];
        foreach (var driver in _available)
        {
            if ((await driver.InspectAsync(machineKey, ct)).State != ObservedState.Absent)
            {
                _holding[machineKey] = driver;
                return driver;
            }
        }
        return _available.Count > 0 ? _available[0] : throw new DriverException("No driver has been probed on this host yet.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Driver {Driver} is available")]
    private partial void LogAvailable(string driver);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Driver {Driver} cannot run on this host and is not offered: {Reason}")]
    private partial void LogUnavailable(string driver, string reason);
}
