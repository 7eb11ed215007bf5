namespace CimiGrains.ReadModel.Filter;

/// <summary>One key of <c>$orderby</c>.</summary>
public sealed record OrderTerm(AttributePath Attribute, bool Descending)
{
    public override string ToString() => $"{Attribute}:{(Descending ? "desc" : "asc")}";
}
