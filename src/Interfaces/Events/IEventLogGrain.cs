namespace CimiGrains.Events;

/// <summary>
/// What a consumer gave a resource's EventLog (name, description, properties, persistence), keyed
/// <c>{tenantId}/{segment}.{localId}</c> like the log's id. Only explicit logs have a grain; the events
/// stay rows of the journal and the log's summary is computed from them when read (docs/EVENTS.md).
/// </summary>
public interface IEventLogGrain : ICimiResourceGrain<EventLog>;
