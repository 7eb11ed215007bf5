namespace CimiGrains.Events;

/// <summary>
/// How to make a resource's EventLog explicit (DSP0263 EventLogTemplate): the resource whose log it is
/// (absent in a template a resource template names: the resource being made is the target) and how long
/// the log shows its events (<see cref="EventLogPersistence"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.EventLogTemplate")]
public sealed record EventLogTemplate : CimiResource
{
    [Id(0)] public ResourceRef? TargetResource { get; init; }

    /// <summary>An xs:duration (<c>P7D</c>, <c>PT12H</c>) or <c>forever</c>; absent: the deployment's retention.</summary>
    [Id(1)] public string? Persistence { get; init; }
}
