namespace CimiGrains.ReadModel.Filter;

/// <summary><c>left and right</c> or <c>left or right</c>.</summary>
public sealed record LogicalNode(LogicalOperator Operator, FilterNode Left, FilterNode Right) : FilterNode
{
    public override string ToString() => $"({Left} {(Operator == LogicalOperator.And ? "and" : "or")} {Right})";
}
