namespace CimiGrains.Machines;

/// <summary>The body POSTed to the machines collection: common attributes plus a template
/// by reference, by value, or by reference with overrides.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineCreate")]
public sealed record MachineCreate : CimiResource
{
    [Id(0)] public MachineTemplate? MachineTemplate { get; init; }
}
