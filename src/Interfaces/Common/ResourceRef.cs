namespace CimiGrains.Common;

/// <summary>A plain reference to another resource, by its (relative) href.</summary>
[GenerateSerializer, Immutable, Alias("cimi.ResourceRef")]
public sealed record ResourceRef([property: Id(0)] string Href);
