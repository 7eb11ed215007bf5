namespace CimiGrains.Networks;

/// <summary>The AddressTemplate type: a plain stored resource naming a Network of the tenant.</summary>
public static class AddressTemplateRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("AddressTemplate", "addressTemplates"),
        Record = typeof(AddressTemplate),
        Grain = typeof(IAddressTemplateGrain),
        CollectionArray = "addressTemplates",
        EntryPointAttribute = "addressTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "ip", "hostname", "allocation", "defaultGateway", "dns", "protocol", "mask",
            "network", "operations"],
        Constraints =
        [
            new("network", "Required when the template is used: the Network of the tenant the address is reserved on."),
            new("ip", "Optional: the address to reserve (static); absent, the Network picks a free one (dynamic)."),
            AddressRegistration.Allocation,
            new("protocol", "IPv4 only.") { Values = ["IPv4"] },
        ],
    };
}
