namespace CimiGrains.Hosts;

/// <summary>
/// A Volume of a host's pool served over NBD to VMs on other hosts (docs/VOLUMES.md, "Across hosts"): on
/// <see cref="Port"/> of the host's NBD address, TLS with pre-shared keys, admitting only <see cref="Clients"/>;
/// writable unless every client attaches it read-only.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeExport")]
public sealed record VolumeExport(
    [property: Id(0)] string VolumeKey,
    [property: Id(1)] int Port,
    [property: Id(2)] bool Writable,
    [property: Id(3)] IReadOnlyList<NbdClient> Clients);

/// <summary>One Machine's host as an NBD client of an export: its TLS identity and pre-shared key (hex).</summary>
[GenerateSerializer, Immutable, Alias("cimi.NbdClient")]
public sealed record NbdClient(
    [property: Id(0)] string Identity,
    [property: Id(1), SecretAtRest] string Psk,
    [property: Id(2)] bool ReadOnly);
