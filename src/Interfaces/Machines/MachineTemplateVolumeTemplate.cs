using System.Xml.Serialization;
using CimiGrains.Volumes;

namespace CimiGrains.Machines;

/// <summary>
/// A new Volume a MachineTemplate asks for, created with every Machine made from it and attached to it
/// (DSP8009 MachineTemplate <c>volumeTemplate</c>: the VolumeTemplate's elements, or its <c>href</c>, or
/// both, and the <c>initialLocation</c> where the Volume appears, an XML attribute). The Volume outlives
/// the Machine: deleting the Machine detaches it and leaves it AVAILABLE.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineTemplateVolumeTemplate")]
public sealed record MachineTemplateVolumeTemplate : CimiResource
{
    [Id(0)] public VolumeConfiguration? VolumeConfig { get; init; }
    [Id(1)] public VolumeImage? VolumeImage { get; init; }
    [Id(2), XmlAttribute("initialLocation")] public string? InitialLocation { get; init; }

    /// <summary>The VolumeTemplate to create the Volume from (a reference, a value, or both).</summary>
    public VolumeTemplate ToVolumeTemplate() => new()
    {
        Href = Href, Name = Name, Description = Description, Properties = Properties, VolumeConfig = VolumeConfig, VolumeImage = VolumeImage,
    };
}
