namespace CimiGrains.Networks;

/// <summary>The ForwardingGroupTemplate type: a plain stored resource naming the tenant's Networks.</summary>
public static class ForwardingGroupTemplateRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("ForwardingGroupTemplate", "forwardingGroupTemplates"),
        Record = typeof(ForwardingGroupTemplate),
        Grain = typeof(IForwardingGroupTemplateGrain),
        CollectionArray = "forwardingGroupTemplates",
        EntryPointAttribute = "forwardingGroupTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "networks", "operations"],
        Constraints = [new("networks", "Networks of the tenant, each at most once.")],
    };
}
