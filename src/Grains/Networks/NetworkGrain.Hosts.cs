using CimiGrains.Hosts;
using CimiGrains.Networks;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Networks;

// What each host with a port on the Network is told (NetworkHostView), and how it is made sure to hear it.
public sealed partial class NetworkGrain
{
    private const string PushReminder = "network-push";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1), LastRetry = TimeSpan.FromMinutes(1);

    private IGrainTimer? _pushTimer;
    private TimeSpan _retry = FirstRetry;

    /// <summary>
    /// Marks the change being committed as one every host must hear of: a new <see cref="NetworkGrainState.Version"/>,
    /// and every host that has a port, or was told of one, to be told it (called inside a commit's change, so the
    /// version and the hosts to tell are durable with the change itself).
    /// </summary>
    private static void TellEveryHost(NetworkGrainState s)
    {
        s.Version++;
        s.HostsToTell = [.. s.Leases.Values.Select(l => l.HostId).OfType<string>().Concat(s.HostsTold).Concat(s.HostsToTell)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Pushes outside the turn that made the change (a grain timer's own turn): the caller does not wait for the
    /// hosts, and no host call is ever made while a caller holds this grain. The HostGrain never calls a Network, so
    /// the push cannot deadlock either.
    /// </summary>
    private void SchedulePush(TimeSpan due)
    {
        _pushTimer?.Dispose();
        _pushTimer = this.RegisterGrainTimer(_ => PushAsync(), new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != PushReminder) return;
        if (State.State.Resource is null || State.State.HostsToTell.Count == 0) await ForgetPushReminderAsync();
        else SchedulePush(TimeSpan.Zero);
    }

    private async Task PushAsync()
    {
        var s = State.State;
        if (s.Resource is null || s.HostsToTell.Count == 0) return;
        var views = await ViewsAsync();
        var told = s.HostsTold.ToHashSet(StringComparer.Ordinal);
        var left = new List<string>();
        foreach (var hostId in s.HostsToTell)
        {
            var view = views.GetValueOrDefault(hostId) ?? Absent();
            try
            {
                await GrainFactory.GetGrain<IHostGrain>(hostId).ApplyNetwork(view);
                if (view.Present) told.Add(hostId);
                else told.Remove(hostId);
            }
            catch (Exception e)
            {
                // Kept to be told again: a host must never keep a stale view.
                left.Add(hostId);
                LogPushFailed(logger, e, ResourceId, hostId, view.Version);
            }
        }
        if (!left.SequenceEqual(s.HostsToTell) || !told.SetEquals(s.HostsTold))
        {
            s.HostsToTell = left;
            s.HostsTold = [.. told.Order(StringComparer.Ordinal)];
            try
            {
                await State.WriteStateAsync();
            }
            catch (Exception e)
            {
                // What is durable says more hosts are to be told than were: they are told again, which is harmless.
                LogPushFailed(logger, e, ResourceId, "(state)", s.Version);
                DeactivateOnIdle();
                return;
            }
        }
        if (left.Count == 0)
        {
            _retry = FirstRetry;
            await ForgetPushReminderAsync();
            return;
        }
        // Retried while this activation lives, and by a reminder after it is gone (a reminder wakes it again).
        SchedulePush(_retry);
        _retry = _retry * 2 > LastRetry ? LastRetry : _retry * 2;
        await this.RegisterOrUpdateReminder(PushReminder, LastRetry, LastRetry);
    }

    /// <summary>Before the Network goes: each host that holds a view of it is told it is no longer there.</summary>
    private async Task TellHostsGoneAsync()
    {
        foreach (var hostId in State.State.HostsTold.Concat(State.State.HostsToTell).Distinct(StringComparer.Ordinal))
        {
            try
            {
                await GrainFactory.GetGrain<IHostGrain>(hostId).ApplyNetwork(Absent() with { Version = State.State.Version + 1 });
            }
            catch (Exception e)
            {
                // The host's agent removes a Network's devices that belong to nothing when it reconciles.
                LogPushFailed(logger, e, ResourceId, hostId, State.State.Version + 1);
            }
        }
    }

    private async Task ForgetPushReminderAsync()
    {
        if (await this.GetReminder(PushReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>The present view of each host with a port on the Network, from the leases as they are now.</summary>
    private async Task<Dictionary<string, NetworkHostView>> ViewsAsync()
    {
        var s = State.State;
        var byHost = s.Leases.Values.Where(l => l.HostId is not null).GroupBy(l => l.HostId!, StringComparer.Ordinal).ToList();
        var underlays = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var host in byHost)
        {
            try
            {
                underlays[host.Key] = await GrainFactory.GetGrain<IHostGrain>(host.Key).GetUnderlayAddress();
            }
            catch (Exception e)
            {
                underlays[host.Key] = null;
                LogPushFailed(logger, e, ResourceId, host.Key, s.Version);
            }
        }
        return NetworkHostViews.Compute(Base(), byHost.Select(h => (h.Key, underlays[h.Key], (IReadOnlyList<NetworkLease>)[.. h])).ToList());
    }

    /// <summary>The view every host gets, before its remote endpoints; absent until <see cref="NetworkHostViews.Compute"/> fills it.</summary>
    private NetworkHostView Base() => new(NetworkKey, TenantId, State.State.Vni, State.State.Resource!.Mtu!.Value, State.State.Resource.NetworkType!,
        State.State.Subnet!, GatewayAddress, State.State.Resource.State == NetworkStateName.STARTED, [], State.State.RoutedSubnets, Present: false,
        State.State.Version);

    private NetworkHostView Absent() => Base();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Network {NetworkId}: host {HostId} did not take view {Version}; it is told again")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string networkId, string hostId, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Network {NetworkId}: leased {Address} to interface {InterfaceId} of {MachineKey}")]
    private static partial void LogLeased(ILogger logger, string networkId, string machineKey, string interfaceId, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Network {NetworkId}: released interface {InterfaceId} of {MachineKey}")]
    private static partial void LogReleased(ILogger logger, string networkId, string machineKey, string interfaceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Network {NetworkId}: dropped {Count} leases whose Machines no longer hold them (a lost release): {Machines}")]
    private static partial void LogLeasesReconciled(ILogger logger, string networkId, int count, string machines);

    [LoggerMessage(Level = LogLevel.Information, Message = "Network {NetworkId}: Machine {MachineId} could not say whether it holds its leases ({Error}); they are kept")]
    private static partial void LogLeaseNotReconciled(ILogger logger, string networkId, string machineId, string error);
}
