using CimiGrains.Agents.Protocol;
using CimiGrains.Hosts;

namespace CimiGrains.Gateway.Agents;

/// <summary>
/// What one agent session may report samples for: the Machines and Volumes its host grain holds. An agent
/// is trusted with its own host's workloads, not with the cluster's, so a sample keyed to a resource placed
/// elsewhere (a confused or compromised agent, or one that has not caught up with a move) is dropped
/// rather than written into another resource's series. A NetworkPort's sample is kept when its tenant has a
/// Machine on this host (the ports an agent plugs are its Machines' interfaces): the host grain does not list
/// the ports, so an agent could feed a port of a tenant it hosts but not one of any other tenant.
/// </summary>
/// <remarks>
/// The host grain's lists are cached for <see cref="Fresh"/>, and asked again at most once per
/// <see cref="Retry"/> when a batch names a key they lack: a resource placed a moment ago is seen within a
/// second, and an agent sending random keys costs one grain call a second, not one per batch.
/// </remarks>
public sealed class SamplePlacement(IHostGrain host)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    private HashSet<string> _machines = new(StringComparer.Ordinal);
    private HashSet<string> _volumes = new(StringComparer.Ordinal);
    private HashSet<string> _tenants = new(StringComparer.Ordinal);
    private long _askedAt = long.MinValue;

    /// <summary>The part of <paramref name="batch"/> about resources placed on this host; null when none is.</summary>
    public async Task<SampleBatch?> KeepAsync(SampleBatch batch, CancellationToken ct)
    {
        var age = _askedAt == long.MinValue ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(Environment.TickCount64 - _askedAt);
        var unknown = batch.Samples.Any(s => !_machines.Contains(s.MachineKey)) || batch.Volumes.Any(v => !_volumes.Contains(v.VolumeKey))
            || batch.Ports.Any(p => !_tenants.Contains(TenantOf(p.PortKey)));
        if (age > Fresh || (unknown && age > Retry))
        {
            try
            {
                var placed = await host.GetPlaced().WaitAsync(ct);
                (_machines, _volumes) = (new(placed.Machines, StringComparer.Ordinal), new(placed.Volumes, StringComparer.Ordinal));
                _tenants = new(placed.Machines.Select(TenantOf), StringComparer.Ordinal);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The host grain cannot answer now (its silo is failing over): the lists known so far decide,
                // and the session goes on; samples are measurements, the next batch is a second away.
            }
            _askedAt = Environment.TickCount64;
        }
        var kept = new SampleBatch { PeriodSeconds = batch.PeriodSeconds };
        kept.Samples.AddRange(batch.Samples.Where(s => _machines.Contains(s.MachineKey)));
        kept.Volumes.AddRange(batch.Volumes.Where(v => _volumes.Contains(v.VolumeKey)));
        kept.Ports.AddRange(batch.Ports.Where(p => _tenants.Contains(TenantOf(p.PortKey))));
        return kept.Samples.Count + kept.Volumes.Count + kept.Ports.Count > 0 ? kept : null;
    }

    /// <summary>The tenant part of a <c>{tenantId}/{localId}</c> key ("" for a key without one, which no tenant has).</summary>
    private static string TenantOf(string key) => key.IndexOf('/') is > 0 and var slash ? key[..slash] : "";
}
