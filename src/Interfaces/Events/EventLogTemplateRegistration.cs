namespace CimiGrains.Events;

/// <summary>The EventLogTemplate type: a plain stored resource.</summary>
public static class EventLogTemplateRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("EventLogTemplate", "eventLogTemplates"),
        Record = typeof(EventLogTemplate),
        Grain = typeof(IEventLogTemplateGrain),
        CollectionArray = "eventLogTemplates",
        EntryPointAttribute = "eventLogTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "targetResource", "persistence", "operations"],
        Constraints =
        [
            new("targetResource", "The resource whose EventLog an EventLogCreate makes explicit (one of the tenant's); absent in a template a resource template names (the resource being made is the target)."),
            EventLogPersistence.Constraint,
        ],
    };
}
