namespace CimiGrains.Networks;

/// <summary>
/// DSP0263's two kinds of Network: <c>PUBLIC</c> (routed to the hosts' external side with NAT) and <c>PRIVATE</c>
/// (reaching nothing outside itself, unless a ForwardingGroup joins it to other Networks).
/// </summary>
public static class NetworkTypes
{
    public const string Public = "PUBLIC";
    public const string Private = "PRIVATE";

    /// <summary>The type of a Network whose configuration names none.</summary>
    public const string Default = Private;

    public static readonly IReadOnlyList<string> All = [Public, Private];
}
