using System.Xml.Serialization;

namespace CimiGrains.Meters;

/// <summary>
/// One item of a Meter's samples collection (DSP8009 <c>Sample</c>): a reading, or with aggregation one
/// interval's summary. Not a stored resource: the Gateway renders it from the samples table.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MeterSample")]
public sealed record MeterSample : CimiResource
{
    [Id(0)] public SampleReading? Sample { get; init; }
}

/// <summary>
/// DSP8009's <c>sample</c> element: <c>timestamp</c> and <c>value</c> as XML attributes. An aggregated
/// sample (its interval starting at <see cref="Timestamp"/>) also carries min, max, average, sum and
/// count (attributes the schema's <c>anyAttribute</c> admits); its <see cref="Value"/> is the average.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.SampleReading")]
public sealed record SampleReading
{
    [Id(0), XmlAttribute("timestamp")] public DateTimeOffset? Timestamp { get; init; }
    [Id(1), XmlAttribute("value")] public string? Value { get; init; }
    [Id(2), XmlAttribute("min")] public string? Min { get; init; }
    [Id(3), XmlAttribute("max")] public string? Max { get; init; }
    [Id(4), XmlAttribute("average")] public string? Average { get; init; }
    [Id(5), XmlAttribute("sum")] public string? Sum { get; init; }
    [Id(6), XmlAttribute("count")] public long? Count { get; init; }
}
