namespace CimiGrains.Events;

/// <summary>
/// An Event's <c>content</c>, whose fields depend on its type (DSP0263 1.1): every type names the resource
/// (<c>resource</c>, <c>resName</c>, <c>resType</c>); state events add <c>state</c> and <c>previous</c>, alarms
/// <c>code</c> and <c>detail</c>, model events <c>change</c> (create, edit, delete) and <c>detail</c>, access
/// events <c>operation</c>, <c>initiator</c> and <c>detail</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.EventContent")]
public sealed record EventContent
{
    [Id(0)] public string? ResName { get; init; }
    [Id(1)] public ResourceRef? Resource { get; init; }
    [Id(2)] public string? ResType { get; init; }
    [Id(3)] public string? State { get; init; }
    [Id(4)] public string? Previous { get; init; }
    [Id(5)] public string? Code { get; init; }
    [Id(6)] public string? Change { get; init; }
    [Id(7)] public string? Operation { get; init; }
    [Id(8)] public string? Initiator { get; init; }
    [Id(9)] public string? Detail { get; init; }
}
