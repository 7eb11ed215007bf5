namespace CimiGrains.ReadModel.Filter;

/// <summary>
/// An attribute of the resource document: <c>cpu</c>, a nested one <c>machineConfig/href</c>, or a
/// consumer property <c>property['key']</c> (<see cref="PropertyKey"/> set). Segments are identifiers
/// (<c>[A-Za-z_][A-Za-z0-9_]*</c>), which the tokenizer guarantees.
/// </summary>
public sealed record AttributePath(IReadOnlyList<string> Segments, string? PropertyKey = null)
{
    public static AttributePath Property(string key) => new(["properties"], key);

    public bool IsProperty => PropertyKey is not null;

    public override string ToString() => IsProperty ? $"property['{PropertyKey}']" : string.Join('/', Segments);

    public bool Equals(AttributePath? other) =>
        other is not null && PropertyKey == other.PropertyKey && Segments.SequenceEqual(other.Segments);

    public override int GetHashCode() => HashCode.Combine(ToString());
}
