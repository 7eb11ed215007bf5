using CimiGrains.Events;
using Npgsql;

namespace CimiGrains.Grains.Events;

/// <summary>The <see cref="IEventJournal"/> on <c>cimi_event</c>: one INSERT, durable when it returns.</summary>
public sealed class PostgresEventJournal(NpgsqlDataSource dataSource) : IEventJournal
{
    public async Task AppendAsync(JournalEvent journalEvent, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { EventRows.Insert(journalEvent, null) } };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
