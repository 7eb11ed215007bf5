namespace CimiGrains.Machines;

/// <summary>The MachineConfiguration type: a plain stored resource (CPU, memory, disks).</summary>
public static class MachineConfigurationRegistration
{
    /// <summary>The CPU count the grains accept, for a MachineConfiguration and a Machine alike.</summary>
    public static readonly CimiAttributeConstraint Cpu = new("cpu", "Number of virtual CPUs.") { Low = 1, High = 1024 };

    /// <summary>The memory the grains accept (KiB), for a MachineConfiguration and a Machine alike.</summary>
    public static readonly CimiAttributeConstraint Memory = new("memory", "Memory in KiB.") { Low = 4096 };

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("MachineConfiguration", "machineConfigs"),
        Record = typeof(MachineConfiguration),
        Grain = typeof(IMachineConfigurationGrain),
        CollectionArray = "machineConfigurations",
        EntryPointAttribute = "machineConfigs",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "cpu", "memory", "disks", "cpuArch", "operations"],
        // Named apart from the Machine's Disk resource (MachineRegistration), which DSP8009 calls Disk.
        Documents = [new(typeof(Disk), "MachineConfigurationDisk", ["capacity", "format", "initialLocation"])],
        Constraints = [Cpu, Memory],
    };
}
