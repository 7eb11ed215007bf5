namespace CimiGrains.Hosts;

/// <summary>A host agent's answer to a console read: the tail's text, or (<see cref="Text"/> null) the
/// agent's reason for having none (the workload is not on the host, its driver keeps no console).</summary>
[GenerateSerializer, Immutable, Alias("cimi.ConsoleOutput")]
public sealed record ConsoleOutput([property: Id(0)] string? Text, [property: Id(1)] string? Error);
