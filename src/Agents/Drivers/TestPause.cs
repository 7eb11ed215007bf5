namespace CimiGrains.Agents.Drivers;

/// <summary>
/// A test tool, inert in production: when <c>CIMI_AGENT_TEST_PAUSE_AT</c> names a step (e.g.
/// <c>docker-attach-volume:recorded</c>), the agent stops the first time it reaches that step, after saying so on
/// its standard error (<c>CIMI_AGENT_TEST_PAUSE_AT: paused at …</c>), until the command is cancelled (its session
/// ends). A test then kills it -9 exactly there, or kills the silo so that the session ends there, which sleeps could
/// only approximate (docs/VOLUMES.md, "Crashes"; docs/SYSTEMS.md, "Crashes"). Only the first time: the command the
/// cluster sends again then goes through. Nothing else reads the variable, and an unset or unknown name never pauses.
/// </summary>
public static class TestPause
{
    public const string Variable = "CIMI_AGENT_TEST_PAUSE_AT";

    private static int _paused;

    private static readonly string? Step = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } step ? step : null;

    /// <summary>Waits until <paramref name="ct"/> is cancelled the first time the variable names <paramref name="step"/>.</summary>
    public static async Task AtAsync(string step, CancellationToken ct)
    {
        if (Step is null || !string.Equals(Step, step, StringComparison.Ordinal) || Interlocked.Exchange(ref _paused, 1) != 0) return;
        await Console.Error.WriteLineAsync($"{Variable}: paused at {step}");
        await Console.Error.FlushAsync(ct);
        await Task.Delay(Timeout.Infinite, ct);
    }
}
