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
        // The disk structure needs no registration of its own: its elements are in declaration order
        // (capacity, format, initialLocation), and the name Disk belongs to the Machine's Disk resource
        // (MachineRegistration), the top-level document DSP8009 calls Disk.
        Constraints = [Cpu, Memory],
    };
}
