namespace CimiGrains.Machines;

/// <summary>The MachineTemplate type: a plain stored resource whose references are resolved by its grain.</summary>
public static class MachineTemplateRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("MachineTemplate", "machineTemplates"),
        Record = typeof(MachineTemplate),
        Grain = typeof(IMachineTemplateGrain),
        CollectionArray = "machineTemplates",
        EntryPointAttribute = "machineTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "initialState", "machineConfig", "machineImage", "credential", "volumes", "volumeTemplates", "networkInterfaces", "meterTemplates", "eventLogTemplate", "userData", "operations"],
        Documents =
        [
            new(typeof(MachineTemplateVolume), "MachineTemplateVolume", ["initialLocation"]),
            new(typeof(MachineTemplateVolumeTemplate), "MachineTemplateVolumeTemplate",
                [.. CimiTypeRegistration.CommonElements, "volumeConfig", "volumeImage", "initialLocation"]),
            // DSP8009's NetworkInterface structure; an address by value carries the Address's own elements.
            new(typeof(MachineTemplateNetworkInterface), "MachineTemplateNetworkInterface", ["addresses", "network", "networkPort", "state", "mtu"]),
            new(typeof(MachineTemplateAddress), "MachineTemplateAddress", ["ip"]),
        ],
        Constraints =
        [
            new("initialState", "The state a new Machine is brought to; absent means the DefaultInitialState capability.")
            {
                Values = [.. MachineRegistration.InitialStates.Select(s => s.ToString())],
            },
        ],
    };
}
