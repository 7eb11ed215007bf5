namespace CimiGrains.ReadModel.Filter;

/// <summary>A node of a parsed <c>$filter</c>: a <see cref="LogicalNode"/> or a <see cref="ComparisonNode"/>.</summary>
public abstract record FilterNode;
