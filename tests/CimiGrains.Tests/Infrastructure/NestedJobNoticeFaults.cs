using System.Collections.Concurrent;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// Drops <see cref="IJobGrain.OnNestedChanged"/> notices to chosen parent Jobs in the test silos (an
/// incoming call filter that <see cref="GrainClusterFixture"/> installs), to stand for a notice lost
/// with a silo: the parent must then catch up on its own.
/// </summary>
public static class NestedJobNoticeFaults
{
    private static readonly ConcurrentDictionary<string, int> Dropping = new();

    public static void Drop(string parentKey) => Dropping[parentKey] = 0;

    public static void Heal(string parentKey) => Dropping.TryRemove(parentKey, out _);

    /// <summary>How many notices to the parent were dropped so far.</summary>
    public static int Dropped(string parentKey) => Dropping.TryGetValue(parentKey, out var n) ? n : 0;

    internal static void Check(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.Name != nameof(IJobGrain.OnNestedChanged)) return;
        var key = context.TargetId.Key.ToString()!;
        if (!Dropping.ContainsKey(key)) return;
        Dropping.AddOrUpdate(key, 1, (_, n) => n + 1);
        throw new InvalidOperationException($"Injected loss of a nested-Job notice to '{key}'.");
    }
}
