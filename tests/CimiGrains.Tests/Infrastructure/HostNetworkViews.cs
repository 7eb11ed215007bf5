using System.Collections.Concurrent;
using CimiGrains.Hosts;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// Stands in for chosen hosts' side of <see cref="IHostGrain.ApplyNetwork"/> and <see cref="IHostGrain.GetUnderlayAddress"/>
/// in the test silos (an incoming call filter <see cref="GrainClusterFixture"/> installs): the views a Network sends them
/// are recorded (or refused, as an unreachable host would), and their underlay address is the one given. Hosts not
/// captured reach the real HostGrain.
/// </summary>
public static class HostNetworkViews
{
    private sealed class Host(string underlay)
    {
        public string Underlay { get; } = underlay;
        public ConcurrentQueue<NetworkHostView> Views { get; } = new();
        public volatile bool Refusing;
    }

    private static readonly ConcurrentDictionary<string, Host> Hosts = new();

    public static void Capture(string hostId, string underlay) => Hosts[hostId] = new Host(underlay);

    public static void Refuse(string hostId, bool refusing) => Hosts[hostId].Refusing = refusing;

    /// <summary>The views the host took, in the order they came.</summary>
    public static IReadOnlyList<NetworkHostView> Views(string hostId) => [.. Hosts[hostId].Views];

    /// <summary>The latest view the host took of <paramref name="networkKey"/>, or null.</summary>
    public static NetworkHostView? Latest(string hostId, string networkKey) =>
        Views(hostId).Where(v => v.NetworkKey == networkKey).MaxBy(v => v.Version);

    /// <summary>True when the call was answered here (the grain is not invoked).</summary>
    internal static bool Intercept(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod?.Name;
        if (method is not (nameof(IHostGrain.ApplyNetwork) or nameof(IHostGrain.GetUnderlayAddress))) return false;
        if (!Hosts.TryGetValue(context.TargetId.Key.ToString()!, out var host)) return false;
        if (method == nameof(IHostGrain.GetUnderlayAddress))
        {
            context.Result = host.Underlay;
            return true;
        }
        if (host.Refusing) throw new InvalidOperationException($"Injected: host {context.TargetId.Key} is unreachable.");
        host.Views.Enqueue((NetworkHostView)context.Request.GetArgument(0)!);
        return true;
    }
}
