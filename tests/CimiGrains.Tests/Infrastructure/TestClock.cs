namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// The resource grains' clock in the test silos: the system time plus an offset a test moves forward,
/// so a five-minute timeout is reached at once. Only the grains' own reading of the time moves (it is
/// registered under <c>HostedResourceServices.ClockKey</c>); Orleans' timers keep real time.
/// </summary>
public sealed class TestClock : TimeProvider
{
    public static TestClock Instance { get; } = new();

    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
