using System.Globalization;

namespace CimiGrains.ReadModel.Filter;

/// <summary>A literal: a number (<see cref="decimal"/>), a string, a boolean, or a date (<see cref="DateTimeOffset"/>).</summary>
public sealed record FilterValue(FilterValueKind Kind, object Value)
{
    public override string ToString() => Kind switch
    {
        FilterValueKind.String => $"'{((string)Value).Replace("\\", "\\\\").Replace("'", "\\'")}'",
        FilterValueKind.Boolean => (bool)Value ? "true" : "false",
        FilterValueKind.DateTime => ((DateTimeOffset)Value).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        _ => ((decimal)Value).ToString(CultureInfo.InvariantCulture),
    };
}
