using CimiGrains.Jobs;

namespace CimiGrains.Volumes;

/// <summary>The VolumeImage a capture writes to (CREATING until its host has stored the bytes) and the capture's Job.</summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeCaptureResult")]
public sealed record VolumeCaptureResult([property: Id(0)] VolumeImage Image, [property: Id(1)] Job Job);
