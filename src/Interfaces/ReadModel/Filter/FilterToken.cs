namespace CimiGrains.ReadModel.Filter;

/// <summary>One token: its class, its source text, its 1-based position, and its parsed value (numbers, strings, dates).</summary>
public readonly record struct FilterToken(FilterTokenKind Kind, string Text, int Position, object? Value = null)
{
    /// <summary>How an error message shows the token.</summary>
    public string Describe() => Kind == FilterTokenKind.End ? "the end of the expression" : $"'{Text}'";
}
