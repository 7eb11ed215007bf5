namespace CimiGrains.Tenancy;

/// <summary>Which of the login throttle's limits refused a login.</summary>
[GenerateSerializer]
public enum LoginRefusalReason
{
    /// <summary>Too many failures by this user from this source: refuses even a correct password.</summary>
    UserAndSource,

    /// <summary>Too many failures from this source (spraying, floods): refuses logins that need a password check.</summary>
    Source,

    /// <summary>The user is under attack and this source has failed for it.</summary>
    User,
}

/// <summary>A login refused by the throttle, and how long until it would be allowed.</summary>
[GenerateSerializer, Immutable, Alias("cimi.LoginRefusal")]
public sealed record LoginRefusal([property: Id(0)] LoginRefusalReason Reason, [property: Id(1)] TimeSpan RetryAfter);

/// <summary>The login throttle's limits: failures allowed per (user, source), per source and per user in a window.</summary>
public sealed record LoginLimits(int PerUserAndSource, int PerSource, int PerUser, int WindowSeconds);
