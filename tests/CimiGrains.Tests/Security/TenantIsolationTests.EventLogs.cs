using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;
using static CimiGrains.Tests.Http.Events.EventLogDocs;

namespace CimiGrains.Tests.Security;

// The EventLogTemplate's part of the tenant-isolation test: A's EventLogTemplate on A's Machine, whose log A makes
// explicit, and every href an EventLog family body can carry (the explicit log's own routes: Http/Events/EventLogTemplateApiTests).
public sealed partial class TenantIsolationTests
{
    private static IReadOnlyDictionary<string, (bool Owned, bool HasActions)> EventLogCollectionCases => new Dictionary<string, (bool, bool)>
    {
        ["eventLogTemplates"] = (true, false),
    };

    private static async Task MakeEventLogsAsync(CimiClient alice, Func<JsonObject, JsonObject> named, Dictionary<string, string> ids,
        Dictionary<string, JsonObject> updates)
    {
        var template = await CimiDocs.Created(alice, "eventLogTemplates", named(Template(ids["machines"], "P7D")));
        var log = await alice.PostAsync("eventLogs", Create(Ref(template)));
        Assert.True(log.Code == 201, $"A's EventLogCreate: {log}");
        ids["eventLogTemplates"] = template;
        updates["eventLogTemplates"] = new() { ["name"] = "stolen", ["persistence"] = "P1D" };
    }

    private static IEnumerable<ReferenceCase> EventLogReferenceCases(Bob b) =>
    [
        new("EventLogTemplate.targetResource", "machines", (c, id) => c.PostAsync("eventLogTemplates", Template(id, "P1D"))),
        new("EventLogCreate.eventLogTemplate by reference", "eventLogTemplates", (c, id) => c.PostAsync("eventLogs", Create(Ref(id)))),
        new("EventLogCreate inline targetResource", "machines", (c, id) => c.PostAsync("eventLogs", Create(Template(id, "P1D")))),
        new("MachineTemplate.eventLogTemplate", "eventLogTemplates", (c, id) =>
        {
            var template = CimiDocs.Template(b.Config, b.Image);
            template["eventLogTemplate"] = Ref(id);
            return c.PostAsync("machineTemplates", template);
        }),
        new("GET A's Machine's explicit EventLog", "machines", (c, id) => c.GetAsync(LogOf(c, id))),
        new("PUT A's Machine's explicit EventLog", "machines", (c, id) => c.PutAsync(LogOf(c, id), new JsonObject { ["name"] = "stolen" })),
        new("DELETE A's Machine's explicit EventLog", "machines", (c, id) => c.DeleteAsync(LogOf(c, id))),
    ];

    private static string LogOf(CimiClient client, string resourceId) =>
        "eventLogs/" + (resourceId.StartsWith(client.Cimi, StringComparison.Ordinal) ? resourceId[client.Cimi.Length..] : resourceId).Replace('/', '.');
}
