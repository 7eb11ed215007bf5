namespace CimiGrains.Machines;

/// <summary>The MachineImage type: a POST to its collection is either a plain create or a capture of a Machine.</summary>
public static class MachineImageRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("MachineImage", "machineImages"),
        Record = typeof(MachineImage),
        Grain = typeof(IMachineImageGrain),
        CollectionArray = "machineImages",
        EntryPointAttribute = "machineImages",
        // The POST reads a MachineImage or a MachineImageCreate and may capture a Machine: Gateway/Machines/MachineApi.
        Routing = CimiRouting.CustomCreate,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "state", "type", "imageLocation", "relatedImage", "operations"],
        ProviderAttributes = ["state", "relatedImage"],
    };
}
