namespace CimiGrains.ReadModel;

/// <summary>A page of documents (UTF-8 JSON, relative ids, keys in jsonb's order) and how many items match in all.</summary>
public sealed record ResourcePage(long Count, IReadOnlyList<byte[]> Documents);
