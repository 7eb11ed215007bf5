namespace CimiGrains.Grains.Systems;

/// <summary>How Systems carry out their operations.</summary>
public sealed class SystemOptions
{
    /// <summary>
    /// How long a member may refuse its delete before the System's delete (or a create's rollback) gives up on
    /// it (<c>CIMI_SYSTEM_MEMBER_REFUSAL_SECONDS</c>). Members refuse for a tick or two while what holds them goes
    /// (a Network whose ports are being released, a Volume still attached); one held by something outside the
    /// System refuses for ever, and the System's Job then ends FAILED naming it instead of asking for ever.
    /// </summary>
    public TimeSpan MemberRefusalLimit { get; set; } = TimeSpan.FromMinutes(1);
}
