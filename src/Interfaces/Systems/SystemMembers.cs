using System.Xml.Serialization;

namespace CimiGrains.Systems;

/// <summary>
/// The items of a System's member collections (DSP0263 SystemMachine, SystemVolume, …): each names one member.
/// POSTed to a collection, an item adds an existing resource of the tenant to the System (an associated member,
/// left alone when the System is deleted); DELETEd, it removes the member from the System without deleting it.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.SystemMachine")]
public sealed record SystemMachine : CimiResource
{
    [Id(0)] public ResourceRef? Machine { get; init; }
}

[GenerateSerializer, Immutable, Alias("cimi.SystemVolume")]
public sealed record SystemVolume : CimiResource
{
    [Id(0)] public ResourceRef? Volume { get; init; }
}

[GenerateSerializer, Immutable, Alias("cimi.SystemNetwork")]
public sealed record SystemNetwork : CimiResource
{
    [Id(0)] public ResourceRef? Network { get; init; }
}

[GenerateSerializer, Immutable, Alias("cimi.SystemSystem")]
public sealed record SystemSystem : CimiResource
{
    [Id(0)] public ResourceRef? System { get; init; }
}

/// <summary>DSP8009 1.0.0 names the element of a SystemCredential <c>machine</c> (an erratum kept for schema
/// validity); in JSON it is <c>credential</c>.</summary>
[GenerateSerializer, Immutable, Alias("cimi.SystemCredential")]
public sealed record SystemCredential : CimiResource
{
    [Id(0), XmlElement("machine")] public ResourceRef? Credential { get; init; }
}

[GenerateSerializer, Immutable, Alias("cimi.SystemNetworkPort")]
public sealed record SystemNetworkPort : CimiResource
{
    [Id(0)] public ResourceRef? NetworkPort { get; init; }
}

[GenerateSerializer, Immutable, Alias("cimi.SystemAddress")]
public sealed record SystemAddress : CimiResource
{
    [Id(0)] public ResourceRef? Address { get; init; }
}

[GenerateSerializer, Immutable, Alias("cimi.SystemForwardingGroup")]
public sealed record SystemForwardingGroup : CimiResource
{
    [Id(0)] public ResourceRef? ForwardingGroup { get; init; }
}
