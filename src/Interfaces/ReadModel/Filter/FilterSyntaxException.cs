namespace CimiGrains.ReadModel.Filter;

/// <summary>
/// A query expression that is not in the grammar. The message names the parameter, the 1-based
/// character position, what was expected there and what was found; the Gateway answers it with 400.
/// </summary>
public sealed class FilterSyntaxException(string parameter, int position, string expected, string found)
    : Exception($"{parameter}: at position {position}, expected {expected} but found {found}.")
{
    public string Parameter { get; } = parameter;
    public int Position { get; } = position;
    public string Expected { get; } = expected;
    public string Found { get; } = found;
}
