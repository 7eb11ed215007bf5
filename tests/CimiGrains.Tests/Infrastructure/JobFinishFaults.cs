using System.Collections.Concurrent;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// Makes <see cref="IJobGrain.Finish"/> fail for chosen Jobs in the test silos (an incoming call filter
/// that <see cref="GrainClusterFixture"/> installs), to stand for a crash between an operation's
/// outcome and its Job: the step in between is then observable and can be resumed.
/// </summary>
public static class JobFinishFaults
{
    private static readonly ConcurrentDictionary<string, int> Failing = new();

    public static void Fail(string jobKey) => Failing[jobKey] = 0;

    public static void Heal(string jobKey) => Failing.TryRemove(jobKey, out _);

    /// <summary>How many Finish calls were refused for the Job so far.</summary>
    public static int Refused(string jobKey) => Failing.TryGetValue(jobKey, out var n) ? n : 0;

    internal static void Check(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.Name != nameof(IJobGrain.Finish)) return;
        var key = context.TargetId.Key.ToString()!;
        if (!Failing.ContainsKey(key)) return;
        Failing.AddOrUpdate(key, 1, (_, n) => n + 1);
        throw new InvalidOperationException($"Injected failure of Job '{key}' Finish.");
    }
}
