using CimiGrains.Events;
using CimiGrains.Tenancy;
using Npgsql;

namespace CimiGrains.Grains.Events;

/// <summary>
/// <see cref="IAccessEvents"/>: looks up whom a refusal concerns and records an access Event in that
/// tenant's log. The caller learns nothing: it has its answer before this runs (fire and forget).
/// </summary>
public sealed class AccessEvents(NpgsqlDataSource dataSource, ITenantDirectory tenants, IEventJournal journal, TimeProvider clock) : IAccessEvents
{
    public async Task RefusedLoginAsync(string userName, string? source, CancellationToken ct)
    {
        if (await tenants.FindUserAsync(userName, ct) is not { } found) return;
        await journal.AppendAsync(new JournalEvent(found.User.TenantId, CimiEventType.Access, null, null, null,
            CimiEventOutcome.Failure, CimiEventSeverity.Low, clock.GetUtcNow(), userName,
            new Dictionary<string, string?>
            {
                ["operation"] = "login",
                ["initiator"] = source,
                ["detail"] = $"refused login of user '{userName}' (wrong password)",
            }), ct);
    }

    public async Task CrossTenantRequestAsync(string callerTenant, string? principal, string typeName, string resourceId, string operation,
        string? source, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT tenant_id, name FROM cimi_resource WHERE kind = $1 AND id = $2 AND tenant_id <> $3 LIMIT 1");
        cmd.Parameters.Add(new() { Value = typeName });
        cmd.Parameters.Add(new() { Value = resourceId });
        cmd.Parameters.Add(new() { Value = callerTenant });
        string owner;
        string? name;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return;
            (owner, name) = (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
        }
        await journal.AppendAsync(new JournalEvent(owner, CimiEventType.Access, typeName, resourceId, name,
            CimiEventOutcome.Failure, CimiEventSeverity.Medium, clock.GetUtcNow(), principal,
            new Dictionary<string, string?>
            {
                ["operation"] = operation,
                ["initiator"] = $"{principal} of another tenant, from {source}",
                ["detail"] = "refused: the resource belongs to this tenant; the caller was answered 404",
            }), ct);
    }
}
