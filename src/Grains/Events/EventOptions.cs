namespace CimiGrains.Grains.Events;

/// <summary>How the event journal is kept and tailed (docs/EVENTS.md).</summary>
public sealed class EventOptions
{
    /// <summary>How long an event is kept after its timestamp; null keeps events forever.</summary>
    public TimeSpan? Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the tail looks for new events when no notification woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the tail waits for a missing id before taking it for rolled back, when it cannot tell from
    /// the running transactions (another role's sessions, a clock step).
    /// </summary>
    public TimeSpan GapTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
