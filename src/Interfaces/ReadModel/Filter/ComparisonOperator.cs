namespace CimiGrains.ReadModel.Filter;

/// <summary><c>= != &lt; &lt;= &gt; &gt;=</c>.</summary>
public enum ComparisonOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}
