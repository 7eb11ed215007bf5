namespace CimiGrains.Credentials;

/// <summary>The body POSTed to the credentials collection.</summary>
[GenerateSerializer, Immutable, Alias("cimi.CredentialCreate")]
public sealed record CredentialCreate : CimiResource
{
    [Id(0)] public CredentialTemplate? CredentialTemplate { get; init; }
}
