using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Machines;

namespace CimiGrains.Grains.Machines;

public sealed class MachineConfigurationGrain(
    [PersistentState("machineConfiguration", "cimi")] IPersistentState<ResourceState<MachineConfiguration>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<MachineConfiguration>(state, readModel, ResourceKind.MachineConfiguration), IMachineConfigurationGrain
{
    protected override Task<MachineConfiguration> ValidateAsync(MachineConfiguration document) =>
        Task.FromResult(Check(document, requireAll: true));

    /// <summary>Checks a configuration; by-value overrides inside a template may be partial.</summary>
    public static MachineConfiguration Check(MachineConfiguration c, bool requireAll)
    {
        CommonValidation.Check(c);
        if (requireAll && c.Cpu is null) throw CimiException.Invalid("MachineConfiguration 'cpu' is required.");
        if (requireAll && c.Memory is null) throw CimiException.Invalid("MachineConfiguration 'memory' (KiB) is required.");
        if (c.Cpu is < 1 or > 1024) throw CimiException.Invalid($"'cpu' must be between 1 and 1024, not {c.Cpu}.");
        if (c.Memory is < 4096) throw CimiException.Invalid($"'memory' is in KiB and must be at least 4096 (4 MiB), not {c.Memory}.");
        foreach (var disk in c.Disks ?? [])
        {
            if (disk.Capacity is null or < 1) throw CimiException.Invalid("Every disk needs a positive 'capacity' (KB).");
        }
        return c;
    }

    /// <summary>Attributes given alongside an href override the referenced configuration's.</summary>
    public static MachineConfiguration Merge(MachineConfiguration referenced, MachineConfiguration overrides) => referenced with
    {
        Cpu = overrides.Cpu ?? referenced.Cpu,
        Memory = overrides.Memory ?? referenced.Memory,
        Disks = overrides.Disks ?? referenced.Disks,
        CpuArch = overrides.CpuArch ?? referenced.CpuArch,
    };
}
