namespace CimiGrains.Grains.Common;

/// <summary>
/// Where the resource grains hand every <see cref="DomainEvent"/> once the change it records is
/// committed. Every registered sink gets every event, in each resource's order; a sink that fails is
/// logged and does not undo the change. EventLogs and Meters attach here.
/// </summary>
public interface IDomainEventSink
{
    Task PublishAsync(DomainEvent domainEvent);
}
