namespace CimiGrains.ReadModel.Filter;

/// <summary>The lexical classes of the CIMI <c>$filter</c> language.</summary>
public enum FilterTokenKind
{
    Identifier,
    Integer,
    String,
    Date,
    True,
    False,
    And,
    Or,
    Operator,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Slash,
    Comma,
    Colon,
    End,
}
