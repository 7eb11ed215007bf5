using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http.Events;

/// <summary>EventLogTemplate and EventLogCreate documents as a CIMI client writes them.</summary>
public static class EventLogDocs
{
    public static JsonObject Ref(string href) => new() { ["href"] = href };

    public static JsonObject Template(string? target, string? persistence, string name = "audit")
    {
        var template = new JsonObject { ["name"] = name, ["description"] = "who did what" };
        if (target is not null) template["targetResource"] = Ref(target);
        if (persistence is not null) template["persistence"] = persistence;
        return template;
    }

    public static JsonObject Create(JsonObject eventLogTemplate, string? name = "audit log") =>
        name is null ? new() { ["eventLogTemplate"] = eventLogTemplate } : new() { ["name"] = name, ["eventLogTemplate"] = eventLogTemplate };
}
