namespace CimiGrains.Networks;

/// <summary>How to make a Network: its configuration (required; by reference, by value, or by reference with
/// overrides), the ForwardingGroup it joins (optional), and the state it starts in (<see cref="InitialState"/>,
/// DSP0263 1.1's attribute, an extension of DSP8009 1.0.0: STARTED, the default, or STOPPED).</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkTemplate")]
public sealed record NetworkTemplate : CimiResource
{
    [Id(0)] public NetworkConfiguration? NetworkConfig { get; init; }
    [Id(1)] public ResourceRef? ForwardingGroup { get; init; }
    [Id(2)] public string? InitialState { get; init; }

    /// <summary>The Meters every Network made from the template gets (by reference or by value; DSP8009 repeats the
    /// element under its plural name, <c>meterTemplates</c>). A Network's series are its NetworkPorts' sums.</summary>
    [Id(3), System.Xml.Serialization.XmlElement("meterTemplates")] public IReadOnlyList<Meters.MeterTemplate>? MeterTemplates { get; init; }

    /// <summary>Makes every Network made from the template's EventLog explicit with the template's name, description and
    /// persistence (docs/EVENTS.md).</summary>
    [Id(4)] public Events.EventLogTemplate? EventLogTemplate { get; init; }
}
