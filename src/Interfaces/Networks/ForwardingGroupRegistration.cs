namespace CimiGrains.Networks;

/// <summary>The ForwardingGroup type: created from a ForwardingGroupCreate (Gateway/Networks/NetworkApi); deleting it unjoins its Networks.</summary>
public static class ForwardingGroupRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("ForwardingGroup", "forwardingGroups"),
        Record = typeof(ForwardingGroup),
        Grain = typeof(IForwardingGroupGrain),
        CollectionArray = "forwardingGroups",
        EntryPointAttribute = "forwardingGroups",
        Routing = CimiRouting.CustomCreate,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "networks", "operations"],
        ProviderAttributes = ["networks"],
        Documents =
        [
            new(typeof(ForwardingGroupCreate), "ForwardingGroupCreate", [.. CimiTypeRegistration.CommonElements, "forwardingGroupTemplate"]),
        ],
        Capabilities =
        [
            new("MixedNetwork", "true", "A ForwardingGroup may join PUBLIC and PRIVATE Networks."),
            new("ForwardingGroupTemplateByValue", "true", "A ForwardingGroupCreate may carry its ForwardingGroupTemplate by value."),
        ],
        Constraints =
        [
            new("networks", "The Networks routed to each other: the tenant's, none in another ForwardingGroup, no two with overlapping subnets. " +
                "A Network joins later by naming the group in its NetworkTemplate."),
        ],
    };
}
