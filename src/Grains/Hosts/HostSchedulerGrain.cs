using CimiGrains.Hosts;
using CimiGrains.Systems;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// Places Machines on connected hosts that offer the driver and have the CPU, memory and disk free under
/// their allocation ratios (<see cref="HostCapacity"/>), and Volumes on connected hosts whose volume pool
/// has room (never overcommitted), spreading load. The registry is soft state: host grains re-report every few seconds and on every change, so
/// nothing here is persisted. Placements made here count against a host at once, before its host grain
/// has heard of the Machine, so that a burst of creates does not pile onto one host.
/// </summary>
public sealed class HostSchedulerGrain(IOptions<HostSchedulingOptions> options) : Grain, IHostSchedulerGrain
{
    /// <summary>How long a waiting placement waits before it asks again.</summary>
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly DateTimeOffset _activated = DateTimeOffset.UtcNow;

    /// <summary>How long a placement counts on its own before the host grain must have reported it.</summary>
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A host whose grain has not reported for this long is not counted as connected: its grain went
    /// with a dead silo (it re-reports every <see cref="HostGrain.HeartbeatPeriod"/> while alive).
    /// </summary>
    private static readonly TimeSpan StaleAfter = 3 * HostGrain.HeartbeatPeriod;

    private readonly Dictionary<string, HostInfo> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _reported = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string HostId, MachineShare Share, DateTimeOffset At)> _reservations = new(StringComparer.Ordinal);

    /// <summary>Volumes placed here whose host grain has not reported them yet, as <see cref="_reservations"/> for Machines.</summary>
    private readonly Dictionary<string, (string HostId, long CapacityKiB, DateTimeOffset At)> _volumeReservations = new(StringComparer.Ordinal);

    public Task UpdateHost(HostInfo host)
    {
        _hosts[host.HostId] = host;
        _reported[host.HostId] = DateTimeOffset.UtcNow;
        foreach (var key in host.Allocated?.Keys ?? Enumerable.Empty<string>()) _reservations.Remove(key);
        foreach (var key in host.Volumes?.Keys ?? Enumerable.Empty<string>()) _volumeReservations.Remove(key);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<HostOverview>> GetHosts()
    {
        var now = DateTimeOffset.UtcNow;
        ForgetStaleReservations(now);
        IReadOnlyList<HostOverview> hosts = [.. _hosts.Values.OrderBy(h => h.HostId, StringComparer.Ordinal).Select(h =>
        {
            var current = Current(h, now);
            // Free as placement computes it (reservations included), for no Machine in particular.
            var c = Free(current, placing: "");
            return new HostOverview(h.HostId, current.Connected, current.Connected ? null : current.ReconnectingUntil, h.Drivers, h.Labels,
                h.AgentVersion, h.Cpu, h.MemoryKiB, h.DiskKiB, c.CpuRatio, c.CpuRatioFromHost, c.MemoryRatio, c.MemoryRatioFromHost,
                c.Cpu, c.MemoryKiB, c.Cpu - c.FreeCpu, c.MemoryKiB - c.FreeMemoryKiB, h.DiskKiB - c.FreeDiskKiB,
                h.Allocated?.Count ?? 0, _reported.GetValueOrDefault(h.HostId, now),
                h.VolumePoolKiB, h.VolumePoolKiB - FreePoolKiB(h, placing: ""), VolumesOn(h));
        })];
        return Task.FromResult(hosts);
    }

    public Task<Placement> Place(PlacementRequest request)
    {
        var now = DateTimeOffset.UtcNow;
        ForgetStaleReservations(now);

        var hosts = _hosts.Values.Select(h => Current(h, now)).ToList();
        var connected = hosts.Where(h => h.Connected).ToList();
        if (connected.Count == 0)
            return NoHost(hosts, request, now, "no host agent is connected to the cluster.");
        var withDriver = connected.Where(h => h.Drivers.Contains(request.Driver)).ToList();
        if (withDriver.Count == 0)
            return NoHost(hosts, request, now, $"no connected host offers the '{request.Driver}' driver.");
        if (request.RequiredHostId is { } required)
        {
            // Pinned by its Volumes (a container uses only Volumes of its own host): there or nowhere, whatever the policy.
            withDriver = withDriver.Where(h => h.HostId == required).ToList();
            if (withDriver.Count == 0)
                return NoHost(hosts, request, now, $"the Machine's Volumes are on host '{required}', which is not connected or offers no " +
                    $"'{request.Driver}' driver.");
        }
        var candidates = withDriver.Select(h => Free(h, request.MachineKey)).ToList();
        var fitting = candidates.Where(c => c.Fits(request)).ToList();
        if (request.PlacementGroup is { } group && request.PlacementPolicy == SystemPlacement.Pin
            && withDriver.Where(h => GroupCount(h.HostId, group, request.MachineKey) > 0)
                .OrderByDescending(h => GroupCount(h.HostId, group, request.MachineKey)).FirstOrDefault() is { } pinned)
        {
            // Pinned: where the group's first Machine went, or nowhere.
            fitting = fitting.Where(c => c.Host.HostId == pinned.HostId).ToList();
            if (fitting.Count == 0)
                return Done(null, $"the System's Machines are pinned to host '{pinned.HostId}', which has no room for {request.Cpu} CPU and " +
                    $"{request.MemoryKiB} KiB of memory ({Free(pinned, request.MachineKey).Describe()}).");
        }
        if (fitting.Count == 0)
        {
            var disk = request.DiskKiB > 0 ? $" and {request.DiskKiB} KiB of disk" : "";
            return NoHost(hosts, request, now, $"no connected host with the '{request.Driver}' driver has {request.Cpu} CPU, " +
                $"{request.MemoryKiB} KiB of memory{disk} free ({string.Join("; ", candidates.Select(c => c.Describe()))}).");
        }
        // The group's policy (spread: fewest of the group; pack: most), then spread by load: the largest
        // free share of memory wins, then of CPU; the host id keeps it deterministic.
        var groupOrder = request.PlacementGroup is not { } placementGroup ? 0
            : request.PlacementPolicy == SystemPlacement.Pack ? -1 : 1;
        // The preferred host first (where a VM's Volumes are: it then reaches them without the network).
        var chosen = fitting
            .OrderBy(c => c.Host.HostId == request.PreferredHostId ? 0 : 1)
            .ThenBy(c => groupOrder == 0 ? 0 : groupOrder * GroupCount(c.Host.HostId, request.PlacementGroup!, request.MachineKey))
            .ThenByDescending(c => (double)c.FreeMemoryKiB / Math.Max(1, c.MemoryKiB))
            .ThenByDescending(c => c.FreeCpu / Math.Max(1, c.Cpu))
            .ThenBy(c => c.Host.HostId, StringComparer.Ordinal)
            .First().Host;
        _reservations[request.MachineKey] = (chosen.HostId, new MachineShare(request.Cpu, request.MemoryKiB, request.DiskKiB), now);
        return Done(chosen.HostId, null);
    }

    public Task<Placement> PlaceVolume(string volumeKey, long capacityKiB)
    {
        var now = DateTimeOffset.UtcNow;
        ForgetStaleReservations(now);
        var hosts = _hosts.Values.Select(h => Current(h, now)).ToList();
        var pools = hosts.Where(h => h.Connected && h.VolumePoolKiB > 0).ToList();
        if (pools.Count == 0)
            return NoVolumeHost(hosts, volumeKey, capacityKiB, now, "no connected host offers a volume pool.");
        var fitting = pools.Where(h => FreePoolKiB(h, volumeKey) >= capacityKiB).ToList();
        if (fitting.Count == 0)
            return NoVolumeHost(hosts, volumeKey, capacityKiB, now, $"no connected host has {capacityKiB} KiB free in its volume pool (" +
                string.Join("; ", pools.Select(h => $"'{h.HostId}' has {FreePoolKiB(h, volumeKey)} of {h.VolumePoolKiB} KiB free")) + ").");
        // Spread: the most free KiB wins; the host id keeps it deterministic.
        var chosen = fitting.OrderByDescending(h => FreePoolKiB(h, volumeKey)).ThenBy(h => h.HostId, StringComparer.Ordinal).First();
        _volumeReservations[volumeKey] = (chosen.HostId, capacityKiB, now);
        return Done(chosen.HostId, null);
    }

    public Task<(string HostId, long PoolKiB)?> LargestVolumePool()
    {
        var largest = _hosts.Values.Where(h => h.VolumePoolKiB > 0)
            .OrderByDescending(h => h.VolumePoolKiB).ThenBy(h => h.HostId, StringComparer.Ordinal).FirstOrDefault();
        return Task.FromResult<(string HostId, long PoolKiB)?>(largest is null ? null : (largest.HostId, largest.VolumePoolKiB));
    }

    /// <summary>What is free in <paramref name="host"/>'s volume pool, not counting <paramref name="placing"/>:
    /// the Volumes its host grain reported and those placed here since.</summary>
    private long FreePoolKiB(HostInfo host, string placing) =>
        host.VolumePoolKiB
        - (host.Volumes ?? new Dictionary<string, long>()).Where(v => v.Key != placing).Sum(v => v.Value)
        - _volumeReservations.Where(r => r.Value.HostId == host.HostId && r.Key != placing && host.Volumes?.ContainsKey(r.Key) != true)
            .Sum(r => r.Value.CapacityKiB);

    /// <summary>A placement its host never confirmed (the create died or chose otherwise) stops holding room after
    /// <see cref="ReservationLifetime"/>, for operators' view as for the next placement.</summary>
    private void ForgetStaleReservations(DateTimeOffset now)
    {
        foreach (var stale in _reservations.Where(r => now - r.Value.At > ReservationLifetime).Select(r => r.Key).ToList())
            _reservations.Remove(stale);
        foreach (var stale in _volumeReservations.Where(r => now - r.Value.At > ReservationLifetime).Select(r => r.Key).ToList())
            _volumeReservations.Remove(stale);
    }

    /// <summary>The Volumes in <paramref name="host"/>'s pool: those its host grain reported and those placed there since.</summary>
    private int VolumesOn(HostInfo host) =>
        (host.Volumes?.Count ?? 0)
        + _volumeReservations.Count(r => r.Value.HostId == host.HostId && host.Volumes?.ContainsKey(r.Key) != true);

    /// <summary>No pool has room: final unless a pool that would is reconnecting or this scheduler is new (as <see cref="NoHost"/>).</summary>
    private Task<Placement> NoVolumeHost(IReadOnlyList<HostInfo> hosts, string volumeKey, long capacityKiB, DateTimeOffset now, string reason)
    {
        var until = _activated + options.Value.ReconnectGrace;
        var returning = hosts.Where(h => h.IsReconnecting(now) && FreePoolKiB(h, volumeKey) >= capacityKiB).ToList();
        if (returning.Count > 0)
        {
            var latest = returning.Max(h => h.ReconnectingUntil!.Value);
            if (latest > until) until = latest;
            reason = $"{reason} Host {string.Join(", ", returning.Select(h => $"'{h.HostId}'"))} is reconnecting.";
        }
        var left = until - now;
        return Task.FromResult(new Placement(null, reason, left > TimeSpan.Zero ? (left < RetryInterval ? left : RetryInterval) : null));
    }

    /// <summary>What <paramref name="host"/> has free under its allocation ratios, not counting
    /// <paramref name="placing"/> (a Machine placed again is not in its own way).</summary>
    private HostCapacity Free(HostInfo host, string placing)
    {
        var used = (host.Allocated ?? new Dictionary<string, MachineShare>())
            .Where(a => a.Key != placing).Select(a => a.Value)
            .Concat(_reservations.Where(r => r.Value.HostId == host.HostId && r.Key != placing && host.Allocated?.ContainsKey(r.Key) != true)
                .Select(r => r.Value.Share))
            .ToList();
        return HostCapacity.Of(host, options.Value, used);
    }

    /// <summary>How many Machines of placement group <paramref name="group"/> (a grain-key prefix) <paramref name="hostId"/>
    /// holds or has been given here, besides <paramref name="placing"/>: from what its host grain reported, so it
    /// holds across a restart of this grain.</summary>
    private int GroupCount(string hostId, string group, string placing)
    {
        var reported = _hosts.TryGetValue(hostId, out var host) ? host.Allocated?.Keys ?? Enumerable.Empty<string>() : [];
        return reported.Count(k => k != placing && k.StartsWith(group, StringComparison.Ordinal))
            + _reservations.Count(r => r.Value.HostId == hostId && r.Key != placing && r.Key.StartsWith(group, StringComparison.Ordinal)
                && host?.Allocated?.ContainsKey(r.Key) != true);
    }

    private static Task<Placement> Done(string? hostId, string? reason) => Task.FromResult(new Placement(hostId, reason));

    /// <summary>
    /// The host as placement sees it now: a host whose grain stopped reporting is away, and expected back
    /// within the grace from its last report (its grain reactivates on a live silo when its agent returns).
    /// </summary>
    private HostInfo Current(HostInfo host, DateTimeOffset now)
    {
        var reported = _reported.GetValueOrDefault(host.HostId, now);
        if (!host.Connected || now - reported <= StaleAfter) return host;
        return host with { Connected = false, ReconnectingUntil = reported + options.Value.ReconnectGrace };
    }

    /// <summary>
    /// No host fits: final unless a host that would fit is expected back (its agent reconnecting), or this
    /// scheduler is new and may not have heard from every host yet; then "ask again".
    /// </summary>
    private Task<Placement> NoHost(IReadOnlyList<HostInfo> hosts, PlacementRequest request, DateTimeOffset now, string reason)
    {
        var until = _activated + options.Value.ReconnectGrace;
        var returning = hosts
            .Where(h => h.IsReconnecting(now) && h.Drivers.Contains(request.Driver) && (request.RequiredHostId ?? h.HostId) == h.HostId)
            .Where(h => Free(h, request.MachineKey).Fits(request))
            .ToList();
        if (returning.Count > 0)
        {
            var latest = returning.Max(h => h.ReconnectingUntil!.Value);
            if (latest > until) until = latest;
            reason = $"{reason} Host {string.Join(", ", returning.Select(h => $"'{h.HostId}'"))} is reconnecting.";
        }
        var left = until - now;
        return Task.FromResult(new Placement(null, reason, left > TimeSpan.Zero ? (left < RetryInterval ? left : RetryInterval) : null));
    }
}
