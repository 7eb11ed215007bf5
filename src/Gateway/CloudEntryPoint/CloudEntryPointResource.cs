using System.Text.Json.Serialization;

namespace CimiGrains.Gateway.CloudEntryPoint;

/// <summary>
/// The CloudEntryPoint document: the baseURI and a reference to every collection this provider
/// implements (and to the ResourceMetadata collection). Built per request; never stored. The
/// collection links are not properties: there is one per registered type (<see cref="CimiTypeRegistry"/>),
/// keyed by its CloudEntryPoint attribute, and the descriptor orders them as DSP8009 does.
/// </summary>
public sealed record CloudEntryPointResource : CimiResource
{
    [JsonPropertyName("baseURI")] public string? BaseUri { get; init; }
    public ResourceRef? ResourceMetadata { get; init; }

    /// <summary>The collection links, by CloudEntryPoint attribute (<c>machines</c> → <c>{"href":"machines"}</c>).</summary>
    [JsonExtensionData] public Dictionary<string, object>? Collections { get; init; }
}
