namespace CimiGrains.Networks;

/// <summary>The NetworkTemplate type: a plain stored resource whose references are resolved by its grain.</summary>
public static class NetworkTemplateRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("NetworkTemplate", "networkTemplates"),
        Record = typeof(NetworkTemplate),
        Grain = typeof(INetworkTemplateGrain),
        CollectionArray = "networkTemplates",
        EntryPointAttribute = "networkTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "networkConfig", "forwardingGroup", "meterTemplates", "eventLogTemplate", "operations"],
        Constraints =
        [
            new("networkConfig", "Required: by reference, by value, or by reference with overriding attributes."),
            new("forwardingGroup", "Optional: a ForwardingGroup of the tenant the new Network joins."),
            new("initialState", "STARTED (the default) or STOPPED: the state the new Network is in once created.") { Values = ["STARTED", "STOPPED"] },
        ],
    };
}
