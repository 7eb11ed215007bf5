namespace CimiGrains.Common;

/// <summary>
/// A document a type's family reads or writes besides the resource itself (its Create document, a
/// nested structure), with its DSP8009 element order (JSON names; repeated elements by plural name).
/// </summary>
public sealed record CimiDocumentOrder(Type Record, string TypeName, IReadOnlyList<string> ElementOrder);
