namespace CimiGrains.Systems;

/// <summary>
/// What a System hands a component it creates or an operation it fans out: the System's grain key (a member
/// tells it when its state changes), the parent Job the component's Job nests in, and, for Machines, the
/// placement group (the grain-key prefix every Machine the System creates shares) and policy.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.SystemMembership")]
public sealed record SystemMembership(
    [property: Id(0)] string SystemKey,
    [property: Id(1)] string? ParentJobLocalId,
    [property: Id(2)] string? PlacementGroup = null,
    [property: Id(3)] string? PlacementPolicy = null);
