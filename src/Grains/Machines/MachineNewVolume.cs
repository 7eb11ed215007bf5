using CimiGrains.Volumes;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// A Volume a Machine's create makes from one of its template's <c>volumeTemplates</c>. Its local id and
/// the id of its Job are chosen and stored with the Machine before the Volume is asked for, so a create
/// repeated after a crash asks for the same Volume (a second create of it is taken as done).
/// <see cref="Requested"/> is written once the Volume accepted the create: a Volume gone after that
/// was deleted by its owner, not forgotten.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.MachineNewVolume")]
public sealed record MachineNewVolume(
    [property: Id(0)] string VolumeLocalId,
    [property: Id(1)] VolumeTemplate Template,
    [property: Id(2)] string? InitialLocation,
    [property: Id(3)] string JobLocalId,
    [property: Id(4)] bool Requested);
