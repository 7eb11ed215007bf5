namespace CimiGrains.Volumes;

/// <summary>How to make a Volume: its configuration (required) and initial content (optional), each by
/// reference, by value, or by reference with overriding attributes.</summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeTemplate")]
public sealed record VolumeTemplate : CimiResource
{
    [Id(0)] public VolumeConfiguration? VolumeConfig { get; init; }
    [Id(1)] public VolumeImage? VolumeImage { get; init; }

    /// <summary>Meters to create with each Volume made from the template (their own targetResource is ignored: it is the Volume).</summary>
    [Id(2), System.Xml.Serialization.XmlElement("meterTemplates")] public IReadOnlyList<Meters.MeterTemplate>? MeterTemplates { get; init; }

    /// <summary>The EventLog each Volume made from the template gets (by reference or by value; its own targetResource is ignored: it is the Volume).</summary>
    [Id(3)] public Events.EventLogTemplate? EventLogTemplate { get; init; }
}
