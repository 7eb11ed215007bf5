namespace CimiGrains.Hosts;

/// <summary>
/// The rule for an allocation ratio (how far a host's CPUs or memory may be overcommitted), shared by
/// the silo's settings, the agent's settings and the agent API that carries the agent's to the cluster.
/// </summary>
public static class AllocationRatio
{
    public const double Max = 1000;

    /// <summary>Finite, above zero and at most <see cref="Max"/> (a thousand virtual CPUs per CPU is a
    /// typo, not a policy).</summary>
    public static bool IsValid(double ratio) => double.IsFinite(ratio) && ratio > 0 && ratio <= Max;

    /// <summary>Parses a setting's value (invariant culture, <c>4</c> or <c>1.5</c>), or says what is wrong
    /// with it, naming the setting.</summary>
    public static double Parse(string setting, string value) =>
        double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ratio)
        && IsValid(ratio)
            ? ratio
            : throw new InvalidOperationException($"{setting}='{value}' is not an allocation ratio: a number above 0 and at most {Max} (for instance 4 or 1.5).");
}
