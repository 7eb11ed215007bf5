using System.Xml.Serialization;

namespace CimiGrains.Machines;

/// <summary>
/// A Volume a MachineTemplate names, to be attached to every Machine made from it (DSP8009
/// MachineTemplate <c>volume</c>: the Volume's <c>href</c> and the <c>initialLocation</c> where it
/// appears, both XML attributes). The Volume must be the tenant's own and AVAILABLE when a Machine is made.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineTemplateVolume")]
public sealed record MachineTemplateVolume
{
    [Id(0)] public string? Href { get; init; }
    [Id(1), XmlAttribute("initialLocation")] public string? InitialLocation { get; init; }
}
