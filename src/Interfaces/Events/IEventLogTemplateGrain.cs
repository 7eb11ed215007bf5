namespace CimiGrains.Events;

/// <summary>An EventLogTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IEventLogTemplateGrain : ICimiResourceGrain<EventLogTemplate>;
