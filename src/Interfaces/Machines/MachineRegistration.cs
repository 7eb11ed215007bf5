namespace CimiGrains.Machines;

/// <summary>The Machine type: created from a MachineCreate with a Job; its operations are Actions.</summary>
public static class MachineRegistration
{
    /// <summary>The states a new Machine may be asked to end in (Machine InitialStates capability).</summary>
    public static readonly IReadOnlyList<MachineStateName> InitialStates = [MachineStateName.STARTED, MachineStateName.STOPPED];

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("Machine", "machines"),
        Record = typeof(Machine),
        Grain = typeof(IMachineGrain),
        CollectionArray = "machines",
        EntryPointAttribute = "machines",
        // Create, delete and actions answer 202 with a Job: Gateway/Machines/MachineApi maps them.
        Routing = CimiRouting.Custom,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "state", "cpu", "memory", "disks", "cpuArch", "volumes", "networkInterfaces", "meters", "eventLog", "operations"],
        ProviderAttributes = ["state", "cpu", "memory", "cpuArch", "machineImage", "machineConfig", "host", "disks", "volumes", "networkInterfaces", "meters", "eventLog"],
        Documents =
        [
            new(typeof(MachineCreate), "MachineCreate", [.. CimiTypeRegistration.CommonElements, "machineTemplate"]),
            // The items of the Machine's sub-collections. DSP8009's Disk has only these two elements (its id
            // is an extension); a MachineVolume has the common ones.
            new(typeof(MachineDisk), "Disk", ["capacity", "initialLocation"]),
            new(typeof(Volumes.MachineVolume), "MachineVolume", [.. CimiTypeRegistration.CommonElements, "initialLocation", "volume", "operations"]),
            // DSP8009's MachineNetworkInterface has no macAddress or networkType: they are extensions here.
            new(typeof(MachineNetworkInterface), "MachineNetworkInterface",
                [.. CimiTypeRegistration.CommonElements, "addresses", "network", "networkPort", "state", "mtu", "operations"]),
            new(typeof(MachineNetworkInterfaceAddress), "MachineNetworkInterfaceAddress", [.. CimiTypeRegistration.CommonElements, "address", "operations"]),
        ],
        Capabilities =
        [
            new("DefaultInitialState", MachineStateName.STARTED.ToString(), "The state of a new Machine when the template names none."),
            new("InitialStates", string.Join(",", InitialStates), "The allowed initialState values."),
            new("MachineTemplateByValue", "true", "A MachineCreate may carry its MachineTemplate by value."),
            new("MachineConfigByValue", "true", "A MachineTemplate may carry its MachineConfiguration by value."),
            new("MachineImageByValue", "true", "A MachineTemplate may carry its MachineImage by value."),
            new("MachineCredentialByValue", "true", "A MachineTemplate may carry its Credential by value."),
            new("MachineStopForce", "true", "stop and restart accept force."),
            new("MachineStopForceDefault", "false", "stop and restart are graceful unless force is true."),
            new("MachineVolumeTemplatesByValue", "true",
                "A MachineTemplate's volumeTemplates may carry each VolumeTemplate by value (or by reference, or both): the Volume is created with " +
                "the Machine, attached to it, and left AVAILABLE when the Machine is deleted."),
            new("MachineVolumeReadOnly", "true",
                $"CimiGrains extension. A MachineVolume POSTed to a Machine's volumes collection with the property '{MachineVolumes.ReadOnlyProperty}' = 'true' " +
                $"is attached read-only, and shows that property; its property '{MachineVolumes.StatusProperty}' says whether it is attaching, attached or detaching."),
            new("MachineNetworkInterfaceStaticAddress", "true",
                $"CimiGrains extension. A MachineNetworkInterface POSTed to a Machine's networkInterfaces collection with the property " +
                $"'{MachineNetworkInterfaces.StaticAddressProperty}' = an IPv4 address of the Network's subnet gets that address (else the Network picks one); " +
                $"its property '{MachineNetworkInterfaces.StatusProperty}' says whether it is attaching, attached or detaching. A MachineTemplate's " +
                "networkInterfaces ask for a static address by value, as an address's 'ip'. Its macAddress and networkType (extensions) are the Network's."),
        ],
        // Capture is not an action on the Machine: it is a MachineImage POSTed with the Machine as imageLocation.
        Actions =
        [
            .. Enum.GetValues<MachineAction>().Where(a => a != MachineAction.Capture).Select(a => new CimiActionDeclaration(
                a.ToString().ToLowerInvariant(),
                a is MachineAction.Stop or MachineAction.Restart ? $"{a} the Machine; 'force' is honoured." : $"{a} the Machine.")),
            // The console extension (docs/CONSOLE.md): a GET of the href a placed Machine lists under this URI.
            new CimiActionDeclaration(MachineConsole.Segment,
                $"CimiGrains extension. GET the href of this operation in a Machine's operations (its id + '/{MachineConsole.Segment}', " +
                $"listed once the Machine is placed on a host) for the tail of its console (a VM's serial console, a container's output) " +
                $"as text/plain UTF-8; '?{MachineConsole.MaxBytesParameter}=N' bounds it (1 to {MachineConsole.MaxMaxBytes}, default {MachineConsole.DefaultMaxBytes}).",
                InputMessage: null, OutputMessage: "text/plain", Method: "GET", ExtensionUri: MachineConsole.OperationUri),
        ],
        Constraints =
        [
            MachineConfigurationRegistration.Cpu,
            MachineConfigurationRegistration.Memory,
            new("machineImage", "The MachineImage the Machine was created from."),
            new("machineConfig", "The MachineConfiguration the Machine was created from."),
            new("host", "The host (agent) the Machine is placed on, once placed."),
        ],
    };
}
