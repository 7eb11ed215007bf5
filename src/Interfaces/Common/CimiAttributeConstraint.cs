namespace CimiGrains.Common;

/// <summary>
/// What a type's ResourceMetadata says about one attribute beyond its shape: the values or range the
/// grains accept, and a description. <see cref="Low"/>/<see cref="High"/> absent means unbounded.
/// </summary>
public sealed record CimiAttributeConstraint(string Attribute, string Description)
{
    public IReadOnlyList<string>? Values { get; init; }
    public long? Low { get; init; }
    public long? High { get; init; }
    public bool HasRange => Low is not null || High is not null;
}
