namespace CimiGrains.Credentials;

/// <summary>
/// A Machine's initial administrator. DSP0263 defines no attributes of its own; CimiGrains uses the
/// conventional extensions <c>userName</c>, <c>password</c> and <c>key</c> (public key), declared in
/// ResourceMetadata. <see cref="Password"/> is write-only: grains never return it to the Gateway.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.Credential")]
public sealed record Credential : CimiResource
{
    [Id(0)] public string? UserName { get; init; }
    [Id(1), SecretAtRest] public string? Password { get; init; }
    [Id(2)] public string? Key { get; init; }
}
