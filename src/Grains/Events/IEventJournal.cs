using CimiGrains.Events;

namespace CimiGrains.Grains.Events;

/// <summary>
/// Where the events that are not a resource's own commit are recorded (meter alarms, access refusals):
/// appended durably before <see cref="AppendAsync"/> completes, to the tenant's EventLog and, when
/// <see cref="JournalEvent.ResourceId"/> is set, that resource's EventLog.
/// </summary>
public interface IEventJournal
{
    Task AppendAsync(JournalEvent journalEvent, CancellationToken cancellationToken = default);
}
