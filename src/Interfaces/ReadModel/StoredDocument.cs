namespace CimiGrains.ReadModel;

/// <summary>A read model row: the resource's kind (type name), its relative id, and its document as JSON text.</summary>
public sealed record StoredDocument(string Kind, string Id, string Json);
