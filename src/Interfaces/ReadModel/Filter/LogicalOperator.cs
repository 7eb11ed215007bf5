namespace CimiGrains.ReadModel.Filter;

/// <summary>The connectives of <c>$filter</c>; <c>and</c> binds tighter than <c>or</c>.</summary>
public enum LogicalOperator
{
    And,
    Or,
}
