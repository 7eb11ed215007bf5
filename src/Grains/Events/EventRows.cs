using System.Text.Json;
using CimiGrains.Events;
using Npgsql;
using NpgsqlTypes;

namespace CimiGrains.Grains.Events;

/// <summary>
/// How an event becomes a <c>cimi_event</c> row: a resource's <see cref="DomainEvent"/> or a
/// <see cref="JournalEvent"/> mapped to the CIMI Event's type, outcome, severity and content, and the one
/// INSERT that records it. The INSERT skips a resource event whose (resource, sequence) is already there
/// without drawing an id, so re-projecting a resource after a restart costs no id and leaves no gap for
/// the stream to wait out.
/// </summary>
/// <remarks>
/// Severity (docs/EVENTS.md): a resource entering ERROR, and a Job ending FAILED, is <c>high</c>; every
/// other state and model event is <c>low</c>. Journal events bring their own (a refused cross-tenant
/// request is <c>medium</c>, a refused login <c>low</c>).
/// </remarks>
public static class EventRows
{
    public const string TypeUriPrefix = CimiUris.Namespace + "/event/";

    /// <summary>The journal form of a resource's event (sequence aside): model events for create, edit and
    /// delete; state events for a change of lifecycle state, with a Job's SUCCESS and FAILED as outcomes.</summary>
    public static JournalEvent FromDomainEvent(DomainEvent e, string? resourceName)
    {
        var (type, content) = e.Kind switch
        {
            DomainEventKind.StateChanged => (CimiEventType.State, new Dictionary<string, string?> { ["state"] = e.NewState, ["previous"] = e.OldState }),
            DomainEventKind.Created => (CimiEventType.Model, new Dictionary<string, string?> { ["change"] = "create" }),
            DomainEventKind.Updated => (CimiEventType.Model, new Dictionary<string, string?> { ["change"] = "edit" }),
            _ => (CimiEventType.Model, new Dictionary<string, string?> { ["change"] = "delete" }),
        };
        var outcome = (e.Kind, e.ResourceType, e.NewState) switch
        {
            (DomainEventKind.StateChanged, "Job", "SUCCESS") => CimiEventOutcome.Success,
            (DomainEventKind.StateChanged, "Job", "FAILED") => CimiEventOutcome.Failure,
            (DomainEventKind.StateChanged, _, "ERROR") => CimiEventOutcome.Failure,
            (DomainEventKind.StateChanged, _, _) => CimiEventOutcome.Status,
            _ => CimiEventOutcome.Success,
        };
        var severity = e is { Kind: DomainEventKind.StateChanged, NewState: "ERROR" or "FAILED" } ? CimiEventSeverity.High : CimiEventSeverity.Low;
        if (e.CorrelationId is { } request) content["detail"] = $"request {request}";
        return new JournalEvent(e.TenantId, type, e.ResourceType, e.ResourceId, resourceName, outcome, severity, e.Time, e.Principal, content);
    }

    /// <summary>The Event document of a row, without its id (the row's identity gives it).</summary>
    public static Event Document(JournalEvent e)
    {
        string? Field(string name) => e.Content.TryGetValue(name, out var v) ? v : null;
        return new Event
        {
            Name = e.Type switch
            {
                CimiEventType.State => $"{e.ResourceType} {Field("state")}",
                CimiEventType.Model => $"{e.ResourceType} {Field("change")}",
                CimiEventType.Access => $"refused {Field("operation")}",
                _ => $"alarm {Field("code")}",
            },
            Created = e.Time,
            Updated = e.Time,
            Timestamp = e.Time,
            Type = TypeUriPrefix + Name(e.Type),
            Content = new EventContent
            {
                ResName = e.ResourceName,
                Resource = e.ResourceId is { } id ? new ResourceRef(id) : null,
                ResType = e.ResourceType is { } t ? CimiUris.TypeUri(t) : null,
                State = Field("state"),
                Previous = Field("previous"),
                Code = Field("code"),
                Change = Field("change"),
                Operation = Field("operation"),
                Initiator = Field("initiator"),
                Detail = Field("detail"),
            },
            Outcome = e.Outcome.ToString(),
            Severity = Name(e.Severity),
            Contact = e.Contact,
        };
    }

    public static string Name(CimiEventType type) => type.ToString().ToLowerInvariant();

    public static string Name(CimiEventSeverity severity) => severity.ToString().ToLowerInvariant();

    /// <summary>The INSERT of one event (<paramref name="sequence"/>: the resource's, or null for a journal event).</summary>
    public static NpgsqlBatchCommand Insert(JournalEvent e, long? sequence)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO cimi_event (tenant_id, resource_type, resource_id, resource_name, sequence, type, outcome, severity, time, contact, doc)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
            WHERE $5::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM cimi_event WHERE tenant_id = $1 AND resource_id = $3 AND sequence = $5)
            ON CONFLICT DO NOTHING
            """);
        var p = command.Parameters;
        p.Add(new() { Value = e.TenantId });
        p.Add(Text(e.ResourceType));
        p.Add(Text(e.ResourceId));
        p.Add(Text(e.ResourceName));
        p.Add(new() { Value = (object?)sequence ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new() { Value = Name(e.Type) });
        p.Add(new() { Value = e.Outcome.ToString() });
        p.Add(new() { Value = Name(e.Severity) });
        p.Add(new() { Value = e.Time.ToUniversalTime() });
        p.Add(Text(e.Contact));
        p.Add(new() { Value = JsonSerializer.Serialize(Document(e), CimiJson.Options), NpgsqlDbType = NpgsqlDbType.Jsonb });
        return command;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
