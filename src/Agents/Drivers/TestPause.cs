namespace CimiGrains.Agents.Drivers;

/// <summary>
/// A test tool, inert in production: when <c>CIMI_AGENT_TEST_PAUSE_AT</c> names a step (e.g.
/// <c>docker-attach-volume:recorded</c>), the agent stops for good when it reaches that step, after saying so on
/// its standard error (<c>CIMI_AGENT_TEST_PAUSE_AT: paused at …</c>). A test then kills it -9 exactly there, which
/// sleeps could only approximate (docs/VOLUMES.md, "Crashes"). Nothing else reads the variable, and an unset or
/// unknown name never pauses.
/// </summary>
public static class TestPause
{
    public const string Variable = "CIMI_AGENT_TEST_PAUSE_AT";

    private static readonly string? Step = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } step ? step : null;

    /// <summary>Waits for ever (until <paramref name="ct"/>) when the variable names <paramref name="step"/>.</summary>
    public static async Task AtAsync(string step, CancellationToken ct)
    {
        if (Step is null || !string.Equals(Step, step, StringComparison.Ordinal)) return;
        await Console.Error.WriteLineAsync($"{Variable}: paused at {step}");
        await Console.Error.FlushAsync(ct);
        await Task.Delay(Timeout.Infinite, ct);
    }
}
