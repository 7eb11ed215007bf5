namespace CimiGrains.ReadModel.Filter;

/// <summary>The value types of <c>$filter</c>, each compared with its own semantics.</summary>
public enum FilterValueKind
{
    Number,
    String,
    Boolean,
    DateTime,
}
