namespace CimiGrains.Networks;

/// <summary>The Address type: made by Networks for their leases, or reserved by an AddressCreate (Gateway/Networks/NetworkApi).</summary>
public static class AddressRegistration
{
    public static readonly CimiAttributeConstraint Allocation = new("allocation",
        "dynamic (the Network picked the address) or static (it was asked for).") { Values = ["dynamic", "static"] };

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("Address", "addresses"),
        Record = typeof(Address),
        Grain = typeof(IAddressGrain),
        CollectionArray = "addresses",
        EntryPointAttribute = "addresses",
        // The POST takes an AddressCreate, which reserves the address on its Network.
        Routing = CimiRouting.CustomCreate,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "ip", "hostname", "allocation", "defaultGateway", "dns", "protocol", "mask",
            "network", "resource", "operations"],
        ProviderAttributes = ["ip", "allocation", "defaultGateway", "dns", "protocol", "mask", "network", "resource"],
        Documents =
        [
            new(typeof(AddressCreate), "AddressCreate", [.. CimiTypeRegistration.CommonElements, "addressTemplate"]),
        ],
        Capabilities = [new("AddressTemplateByValue", "true", "An AddressCreate may carry its AddressTemplate by value.")],
        Constraints =
        [
            Allocation,
            new("protocol", "IPv4: a Network's addresses are IPv4.") { Values = ["IPv4"] },
            new("resource", "The Machine whose interface holds the address; absent for an address a consumer reserved."),
            new("ip", "The bare address; an interface has it with the Network's prefix (mask)."),
        ],
    };
}
