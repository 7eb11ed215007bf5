namespace CimiGrains.Tenancy;

/// <summary>A tenant: every CIMI resource belongs to exactly one.</summary>
public sealed record Tenant(string Id, string Name, DateTimeOffset Created);
