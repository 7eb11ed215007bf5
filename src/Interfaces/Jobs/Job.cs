namespace CimiGrains.Jobs;

/// <summary>An operation the provider carries out asynchronously, and how far it has got.</summary>
[GenerateSerializer, Immutable, Alias("cimi.Job")]
public sealed record Job : CimiResource
{
    [Id(0)] public JobStateName? State { get; init; }
    [Id(1)] public ResourceRef? TargetResource { get; init; }
    [Id(2)] public IReadOnlyList<ResourceRef>? AffectedResources { get; init; }

    /// <summary><c>add</c>, <c>edit</c>, <c>delete</c>, or an action URI.</summary>
    [Id(3)] public string? Action { get; init; }

    [Id(4)] public int? ReturnCode { get; init; }
    [Id(5)] public int? Progress { get; init; }
    [Id(6)] public string? StatusMessage { get; init; }
    [Id(7)] public DateTimeOffset? TimeOfStatusChange { get; init; }
    [Id(8)] public ResourceRef? ParentJob { get; init; }
    [Id(9)] public IReadOnlyList<ResourceRef>? NestedJobs { get; init; }
}
