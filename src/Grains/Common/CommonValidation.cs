namespace CimiGrains.Grains.Common;

/// <summary>
/// Limits on the common attributes, so that no consumer can store unbounded documents, and the text
/// rule (<see cref="CimiText"/>) on every string of the document, so that none can store one that the
/// read model or a rendering would refuse.
/// </summary>
public static class CommonValidation
{
    public const int MaxNameLength = 256;
    public const int MaxDescriptionLength = 4096;
    public const int MaxProperties = 64;
    public const int MaxPropertyLength = 4096;

    public static void Check(CimiResource resource)
    {
        CimiText.CheckRecord(resource);
        if (resource.Name is { Length: > MaxNameLength })
            throw CimiException.Invalid($"'name' is longer than {MaxNameLength} characters.");
        if (resource.Description is { Length: > MaxDescriptionLength })
            throw CimiException.Invalid($"'description' is longer than {MaxDescriptionLength} characters.");
        if (resource.Properties is { } properties)
        {
            if (properties.Count > MaxProperties)
                throw CimiException.Invalid($"'properties' has {properties.Count} entries; at most {MaxProperties} are allowed.");
            foreach (var (key, value) in properties)
            {
                if (key.Length == 0 || key.Length > MaxNameLength)
                    throw CimiException.Invalid($"'properties' keys must be 1 to {MaxNameLength} characters long.");
                if (value is null || value.Length > MaxPropertyLength)
                    throw CimiException.Invalid($"'properties[\"{key}\"]' must be a string of at most {MaxPropertyLength} characters.");
            }
        }
    }

    public static string? NonBlank(string? value, string attribute, int maxLength = MaxPropertyLength)
    {
        if (value is null) return null;
        if (string.IsNullOrWhiteSpace(value)) throw CimiException.Invalid($"'{attribute}' must not be empty.");
        if (value.Length > maxLength) throw CimiException.Invalid($"'{attribute}' is longer than {maxLength} characters.");
        return value;
    }
}
