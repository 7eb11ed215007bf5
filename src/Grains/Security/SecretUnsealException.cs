namespace CimiGrains.Grains.Security;

/// <summary>A sealed secret in storage cannot be opened (missing key, altered data). Never carries key material or plaintext.</summary>
public sealed class SecretUnsealException(string message) : Exception(message);
