using System.Text.Json.Serialization;

namespace CimiGrains.Gateway.CloudEntryPoint;

/// <summary>
/// The CloudEntryPoint document: the baseURI and a reference to every collection this provider
/// implements (and to the ResourceMetadata collection). Built per request; never stored.
/// </summary>
public sealed record CloudEntryPointResource : CimiResource
{
    [JsonPropertyName("baseURI")] public string? BaseUri { get; init; }
    public ResourceRef? ResourceMetadata { get; init; }
    public ResourceRef? Machines { get; init; }
    public ResourceRef? MachineTemplates { get; init; }
    public ResourceRef? MachineConfigs { get; init; }
    public ResourceRef? MachineImages { get; init; }
    public ResourceRef? Credentials { get; init; }
    public ResourceRef? CredentialTemplates { get; init; }
    public ResourceRef? Jobs { get; init; }
}
