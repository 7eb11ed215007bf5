using System.Xml;

namespace CimiGrains.Events;

/// <summary>
/// An EventLog's <c>persistence</c> (DSP0263 leaves its values open): an xs:duration (<c>P7D</c>,
/// <c>PT12H</c>) or <c>forever</c>. The deployment's retention is the only thing that deletes events, and
/// it is also what the tenant's log promises; so a log may ask for less (it then shows only its events of
/// that last period: a view, nothing is deleted early) but never for more than the deployment keeps.
/// </summary>
public static class EventLogPersistence
{
    public const string Forever = "forever";

    public static CimiAttributeConstraint Constraint { get; } = new("persistence",
        "How long the log shows its events: an xs:duration (P7D, PT12H) up to the deployment's retention (capability EventRetention), " +
        "or 'forever' when the deployment keeps events forever; absent, the deployment's retention. A shorter one narrows what the log " +
        "shows; only the retention deletes events.");

    /// <summary>The text of a retention or persistence (<c>P30D</c>; null is <c>forever</c>).</summary>
    public static string Text(TimeSpan? duration) => duration is { } d ? XmlConvert.ToString(d) : Forever;

    /// <summary>
    /// The period a log asks for (null: forever, or the deployment's retention when absent), or a 400
    /// naming the problem: not a positive xs:duration nor <c>forever</c>, or longer than
    /// <paramref name="retention"/> (null: the deployment keeps events forever).
    /// </summary>
    public static TimeSpan? Check(string? persistence, TimeSpan? retention)
    {
        if (persistence is null) return retention;
        TimeSpan? asked;
        if (persistence == Forever)
        {
            asked = null;
        }
        else
        {
            try
            {
                asked = XmlConvert.ToTimeSpan(persistence);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw CimiException.Invalid($"'persistence' must be an xs:duration such as P7D or PT12H, or '{Forever}', not '{persistence}'.");
            }
            if (asked <= TimeSpan.Zero) throw CimiException.Invalid($"'persistence' must be a positive duration, not '{persistence}'.");
        }
        if (retention is { } kept && (asked is null || asked > kept))
            throw CimiException.Invalid($"'persistence' {persistence} is longer than this deployment keeps events: the most a log may ask is {Text(kept)}.");
        return asked;
    }

    /// <summary>
    /// What a log with <paramref name="persistence"/> (as stored; null: none given) shows now: its own period,
    /// or the retention if that is shorter (the operator may have shortened it since the log was made).
    /// </summary>
    public static TimeSpan? Effective(string? persistence, TimeSpan? retention)
    {
        TimeSpan? asked;
        try
        {
            asked = persistence is null or Forever ? null : XmlConvert.ToTimeSpan(persistence);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            asked = null;
        }
        return (asked, retention) switch
        {
            (null, _) => retention,
            ({ } a, { } r) when r < a => r,
            _ => asked,
        };
    }
}
