namespace CimiGrains.Grains.Volumes;

/// <summary>How Volumes keep their reservations (docs/VOLUMES.md, "Unconfirmed reservations").</summary>
public sealed class VolumeOptions
{
    /// <summary>
    /// How long a reservation may stay unconfirmed before the Volume asks its Machine whether it still holds it
    /// (<c>CIMI_VOLUME_RESERVATION_SECONDS</c>). An attach or a create confirms within the operation's own timeout
    /// (five minutes), so the default asks only about reservations nothing can confirm any more; one the Machine still
    /// holds is kept, and asked about again later.
    /// </summary>
    public TimeSpan ReservationTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
