namespace CimiGrains.Credentials;

/// <summary>The template a Credential is created from; the same write-only rule holds for its password.</summary>
[GenerateSerializer, Immutable, Alias("cimi.CredentialTemplate")]
public sealed record CredentialTemplate : CimiResource
{
    [Id(0)] public string? UserName { get; init; }
    [Id(1), SecretAtRest] public string? Password { get; init; }
    [Id(2)] public string? Key { get; init; }
}
