namespace CimiGrains.Machines;

/// <summary>
/// How to make a Machine. Each of <see cref="MachineConfig"/>, <see cref="MachineImage"/> and
/// <see cref="Credential"/> is a reference (<c>href</c>), a value, or a reference whose attributes
/// given alongside override the referenced ones.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineTemplate")]
public sealed record MachineTemplate : CimiResource
{
    [Id(0)] public string? InitialState { get; init; }
    [Id(1)] public MachineConfiguration? MachineConfig { get; init; }
    [Id(2)] public MachineImage? MachineImage { get; init; }
    [Id(3)] public Credentials.Credential? Credential { get; init; }

    /// <summary>Base64 payload handed to the workload (see the Machine UserData capability).</summary>
    [Id(4), SecretAtRest] public string? UserData { get; init; }

    /// <summary>Existing Volumes to attach to every Machine made from the template (XML: repeated <c>volume</c>).</summary>
    [Id(5)] public IReadOnlyList<MachineTemplateVolume>? Volumes { get; init; }

    /// <summary>New Volumes to create with every Machine made from the template and attach to it (XML: repeated <c>volumeTemplate</c>).</summary>
    [Id(6)] public IReadOnlyList<MachineTemplateVolumeTemplate>? VolumeTemplates { get; init; }

    /// <summary>The Networks every Machine made from the template is put on (XML: repeated <c>networkInterface</c>).</summary>
    [Id(7)] public IReadOnlyList<MachineTemplateNetworkInterface>? NetworkInterfaces { get; init; }

    /// <summary>The Meters every Machine made from the template gets (each template by reference or by value;
    /// DSP8009 repeats the element under its plural name, <c>meterTemplates</c>).</summary>
    [Id(8), System.Xml.Serialization.XmlElement("meterTemplates")] public IReadOnlyList<Meters.MeterTemplate>? MeterTemplates { get; init; }

    /// <summary>The EventLog every Machine made from the template gets (its name, description and persistence;
    /// by reference or by value; its own targetResource is ignored: it is the Machine).</summary>
    [Id(9)] public Events.EventLogTemplate? EventLogTemplate { get; init; }
}
