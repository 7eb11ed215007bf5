using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;
using static CimiGrains.Tests.Http.Meters.MeterDocs;

namespace CimiGrains.Tests.Security;

// The Meter family's part of the tenant-isolation test: A's MeterConfiguration, a MeterTemplate and a Meter on A's
// Machine, and every href a Meter family body can carry (the target too, of every type that offers aspects).
public sealed partial class TenantIsolationTests
{
    private static IReadOnlyDictionary<string, (bool Owned, bool HasActions)> MeterCollectionCases => new Dictionary<string, (bool, bool)>
    {
        ["meters"] = (true, true),
        ["meterTemplates"] = (true, false),
        ["meterConfigs"] = (true, false),
    };

    private static async Task MakeMetersAsync(CimiClient alice, Func<JsonObject, JsonObject> named, Dictionary<string, string> ids,
        Dictionary<string, JsonObject> updates)
    {
        var config = await CimiDocs.Created(alice, "meterConfigs", named(Configuration()));
        var template = await CimiDocs.Created(alice, "meterTemplates", named(Template(Ref(config), ids["machines"])));
        var meter = await CimiDocs.Created(alice, "meters", named(Create(Ref(template))));
        (ids["meterConfigs"], ids["meterTemplates"], ids["meters"]) = (config, template, meter);
        updates["meterConfigs"] = Configuration(Memory);
        updates["meterTemplates"] = new() { ["name"] = "stolen", ["meterConfig"] = Ref(config) };
        updates["meters"] = new() { ["name"] = "stolen", ["sampleInterval"] = 5 };
    }

    private static IEnumerable<ReferenceCase> MeterReferenceCases(Bob b) =>
    [
        new("MeterTemplate.meterConfig", "meterConfigs", (c, id) => c.PostAsync("meterTemplates", Template(Ref(id), b.Machine))),
        new("MeterTemplate.targetResource", "machines", (c, id) => c.PostAsync("meterTemplates", Template(Configuration(), id))),
        new("MeterCreate.meterTemplate by reference", "meterTemplates", (c, id) => c.PostAsync("meters", Create(Ref(id)))),
        new("MeterCreate inline targetResource", "machines", (c, id) => c.PostAsync("meters", Create(Template(Configuration(), id)))),
        new("MeterCreate inline meterConfig", "meterConfigs", (c, id) => c.PostAsync("meters", Create(Template(Ref(id), b.Machine)))),
        new("MachineTemplate.meterTemplates", "meterTemplates", (c, id) =>
        {
            var template = CimiDocs.Template(b.Config, b.Image);
            template["meterTemplates"] = new JsonArray(Ref(id));
            return c.PostAsync("machineTemplates", template);
        }),
        // A Meter on each other type that offers aspects, aimed at A's: answered as for an id nobody has.
        new("MeterCreate inline targetResource (Volume)", "volumes", (c, id) => c.PostAsync("meters",
            Create(Template(Configuration("urn:cimigrains:meter:aspect:volume.used", associatedTo: "Volume"), id)))),
        new("MeterCreate inline targetResource (System)", "systems", (c, id) => c.PostAsync("meters",
            Create(Template(Configuration(associatedTo: "System"), id)))),
        new("MeterCreate inline targetResource (Network)", "networks", (c, id) => c.PostAsync("meters",
            Create(Template(Configuration("urn:cimigrains:meter:aspect:network.received", associatedTo: "Network"), id)))),
        new("MeterCreate inline targetResource (NetworkPort)", "networkPorts", (c, id) => c.PostAsync("meters",
            Create(Template(Configuration("urn:cimigrains:meter:aspect:network.packets.received", associatedTo: "NetworkPort"), id)))),
        new("GET A's Volume's meters", "volumes", (c, id) => c.GetAsync(id + "/meters")),
        new("GET A's System's meters", "systems", (c, id) => c.GetAsync(id + "/meters")),
        new("GET A's Network's meters", "networks", (c, id) => c.GetAsync(id + "/meters")),
        new("GET A's NetworkPort's meters", "networkPorts", (c, id) => c.GetAsync(id + "/meters")),
        new("GET A's Machine's meters", "machines", (c, id) => c.GetAsync(id + "/meters")),
        new("GET A's Meter's samples", "meters", (c, id) => c.GetAsync(id + "/samples")),
        new("Action on A's Meter", "meters", (c, id) => c.PostAsync(id, new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/stop" })),
    ];
}
