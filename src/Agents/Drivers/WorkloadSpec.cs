namespace CimiGrains.Agents.Drivers;

/// <summary>What to run for a Machine. Memory is in KiB, as CIMI counts it.</summary>
public sealed record WorkloadSpec(
    string ImageLocation,
    int Cpu,
    long MemoryKiB,
    string TenantId,
    string? AdminUserName,
    string? AdminPassword,
    string? AdminKey,
    string? UserData,
    bool Start);
