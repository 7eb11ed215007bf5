namespace CimiGrains.Grains.Credentials;

/// <summary>Rules shared by Credentials and CredentialTemplates.</summary>
internal static class CredentialChecks
{
    public static void Check(string? userName, string? password, string? key)
    {
        if (userName is not null &&
            (userName.Length is 0 or > 64 || !userName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
            throw CimiException.Invalid("'userName' must be 1 to 64 characters of letters, digits, '_', '-' or '.'.");
        if (password is { Length: 0 or > 256 }) throw CimiException.Invalid("'password' must be 1 to 256 characters.");
        if (key is { Length: 0 or > 16384 }) throw CimiException.Invalid("'key' must be 1 to 16384 characters.");
        if (password is not null && userName is null) throw CimiException.Invalid("A 'password' needs a 'userName'.");
    }
}
