namespace CimiGrains.ReadModel.Filter;

/// <summary>
/// <c>attribute op value</c>. The parser normalises <c>value op attribute</c> to this form by mirroring
/// the operator (<c>2 &lt; cpu</c> becomes <c>cpu &gt; 2</c>).
/// </summary>
public sealed record ComparisonNode(AttributePath Attribute, ComparisonOperator Operator, FilterValue Value) : FilterNode
{
    public override string ToString() => $"{Attribute} {Symbol(Operator)} {Value}";

    public static string Symbol(ComparisonOperator op) => op switch
    {
        ComparisonOperator.Equal => "=",
        ComparisonOperator.NotEqual => "!=",
        ComparisonOperator.Less => "<",
        ComparisonOperator.LessOrEqual => "<=",
        ComparisonOperator.Greater => ">",
        _ => ">=",
    };
}
