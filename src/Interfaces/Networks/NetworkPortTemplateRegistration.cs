namespace CimiGrains.Networks;

/// <summary>The NetworkPortTemplate type: a plain stored resource whose references are resolved by its grain.</summary>
public static class NetworkPortTemplateRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("NetworkPortTemplate", "networkPortTemplates"),
        Record = typeof(NetworkPortTemplate),
        Grain = typeof(INetworkPortTemplateGrain),
        CollectionArray = "networkPortTemplates",
        EntryPointAttribute = "networkPortTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "network", "networkPortConfig", "meterTemplates", "eventLogTemplate", "operations"],
        Constraints =
        [
            new("network", "Required when the template is used: a Network of the tenant."),
            new("networkPortConfig", "Optional: by reference, by value, or by reference with overriding attributes; absent: ACCESS."),
        ],
    };
}
