using System.Collections.Concurrent;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// Counts the reads of Jobs (<see cref="ICimiResourceGrain{TResource}.GetInternal"/> on a Job grain) of chosen tenants in
/// the test silos (an incoming call filter that <see cref="GrainClusterFixture"/> installs): what a parent pays to follow
/// its nested Jobs.
/// </summary>
public static class NestedJobReads
{
    private static readonly ConcurrentDictionary<string, int> Counted = new();

    public static void Watch(string tenant) => Counted[tenant] = 0;

    public static void Stop(string tenant) => Counted.TryRemove(tenant, out _);

    public static int Count(string tenant) => Counted.TryGetValue(tenant, out var n) ? n : 0;

    internal static void Check(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.Name != nameof(IJobGrain.GetInternal) || context.Grain is not IJobGrain) return;
        var key = context.TargetId.Key.ToString()!;
        var slash = key.IndexOf('/');
        if (slash < 0 || !Counted.ContainsKey(key[..slash])) return;
        Counted.AddOrUpdate(key[..slash], 1, (_, n) => n + 1);
    }
}
