namespace CimiGrains.Common;

/// <summary>One entry of a resource's <c>operations</c> array: a core rel (<c>edit</c>, <c>delete</c>,
/// <c>add</c>) or an action URI, and the (relative) href to send it to.</summary>
[GenerateSerializer, Immutable, Alias("cimi.Operation")]
public sealed record Operation([property: Id(0)] string Rel, [property: Id(1)] string Href);
