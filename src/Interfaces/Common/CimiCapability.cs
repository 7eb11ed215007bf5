namespace CimiGrains.Common;

/// <summary>A capability a type advertises in its ResourceMetadata (DSP0263 §5.15): a fact the grains enforce.</summary>
public sealed record CimiCapability(string Name, string Value, string Description);
