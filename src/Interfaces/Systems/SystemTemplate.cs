namespace CimiGrains.Systems;

/// <summary>
/// How to make a System: its components (XML: repeated <c>componentDescriptor</c>), each a resource type, a
/// template of that type by reference or by value, and a quantity. A component names another component of
/// the same template by the href <c>#name</c> (<see cref="SystemComponents"/>). <see cref="PlacementPolicy"/>
/// is a CimiGrains extension (<see cref="SystemPlacement"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.SystemTemplate")]
public sealed record SystemTemplate : CimiResource
{
    [Id(0)] public IReadOnlyList<ComponentDescriptor>? ComponentDescriptors { get; init; }

    [Id(1)] public string? PlacementPolicy { get; init; }
}
