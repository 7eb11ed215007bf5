using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Security;

// The System family's part of the tenant-isolation test: A's SystemTemplate and the System made from it (of one
// Network, so no host is needed), B's own System to add members to, and every href a System body can carry.
public sealed partial class TenantIsolationTests
{
    private static async Task MakeSystemsAsync(CimiClient alice, Func<JsonObject, JsonObject> named, Dictionary<string, string> ids,
        Dictionary<string, JsonObject> updates)
    {
        var template = await CimiDocs.Created(alice, "systemTemplates", named(Template("t", NetworkComponent("net"))));
        var created = await alice.PostAsync("systems", named(Create(Ref(template))));
        Assert.True(created.Code == 202, created.ToString());
        Assert.Equal("SUCCESS", (await alice.WaitForJobAsync(created.JobUri())).Str("state"));
        (ids["systemTemplates"], ids["systems"]) = (template, created.Header("Location")!);
        updates["systemTemplates"] = new() { ["name"] = "stolen", ["componentDescriptors"] = new JsonArray() };
        updates["systems"] = new() { ["name"] = "stolen" };
    }

    /// <summary>B's own System (of nothing), whose member collections B may add to.</summary>
    private static async Task<string> MakeBobsSystemAsync(CimiClient bob)
    {
        var created = await bob.PostAsync("systems", Create(new JsonObject { ["componentDescriptors"] = new JsonArray() }));
        Assert.True(created.Code == 202, created.ToString());
        Assert.Equal("SUCCESS", (await bob.WaitForJobAsync(created.JobUri())).Str("state"));
        return created.Header("Location")!;
    }

    private static IEnumerable<ReferenceCase> SystemReferenceCases(Bob b) =>
    [
        new("SystemCreate.systemTemplate by reference", "systemTemplates", (c, id) => c.PostAsync("systems", Create(Ref(id)))),
        new("SystemCreate.systemTemplate by reference in XML", "systemTemplates", (c, id) => c.SendAsync(HttpMethod.Post, "systems",
            $"<SystemCreate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>s</name><systemTemplate href=\"{id}\"/></SystemCreate>", "application/xml")),
        new("SystemTemplate component systemTemplate", "systemTemplates", (c, id) => c.PostAsync("systemTemplates",
            Template("t", Component("inner", "System", "systemTemplate", Ref(id))))),
        new("SystemTemplate component machineTemplate", "machineTemplates", (c, id) => c.PostAsync("systemTemplates",
            Template("t", Component("web", "Machine", "machineTemplate", Ref(id))))),
        new("SystemTemplate component networkTemplate", "networkTemplates", (c, id) => c.PostAsync("systemTemplates",
            Template("t", Component("net", "Network", "networkTemplate", Ref(id))))),
        new("SystemTemplate component volumeTemplate", "volumeTemplates", (c, id) => c.PostAsync("systemTemplates",
            Template("t", Component("data", "Volume", "volumeTemplate", Ref(id))))),
        new("SystemTemplate component credentialTemplate", "credentialTemplates", (c, id) => c.PostAsync("systemTemplates",
            Template("t", Component("admin", "Credential", "credentialTemplate", Ref(id))))),
        new("SystemTemplate component networkPortTemplate", "networkPortTemplates", (c, id) => c.PostAsync("systemTemplates",
            Template("t", Component("port", "NetworkPort", "networkPortTemplate", Ref(id))))),
        new("SystemTemplate component addressTemplate", "addressTemplates", (c, id) => c.PostAsync("systemTemplates",
            Template("t", Component("vip", "Address", "addressTemplate", Ref(id))))),
        new("SystemCreate component forwardingGroupTemplate", "forwardingGroupTemplates", (c, id) => c.PostAsync("systems",
            Create(Template("t", Component("fg", "ForwardingGroup", "forwardingGroupTemplate", Ref(id)))))),
        new("SystemCreate component NetworkPort on A's Network", "networks", (c, id) => c.PostAsync("systems",
            Create(Template("t", Component("port", "NetworkPort", "networkPortTemplate", new JsonObject { ["network"] = Ref(id) }))))),
        new("SystemMachine added to B's System", "machines", (c, id) => c.PostAsync(b.System + "/machines", new JsonObject { ["machine"] = Ref(id) })),
        new("SystemVolume added to B's System", "volumes", (c, id) => c.PostAsync(b.System + "/volumes", new JsonObject { ["volume"] = Ref(id) })),
        new("SystemNetwork added to B's System", "networks", (c, id) => c.PostAsync(b.System + "/networks", new JsonObject { ["network"] = Ref(id) })),
        new("SystemCredential added to B's System", "credentials", (c, id) => c.PostAsync(b.System + "/credentials", new JsonObject { ["credential"] = Ref(id) })),
        new("SystemSystem added to B's System", "systems", (c, id) => c.PostAsync(b.System + "/systems", new JsonObject { ["system"] = Ref(id) })),
        new("GET B's System's member A's Machine", "machines", (c, id) => c.GetAsync(b.System + "/machines/" + id[(id.LastIndexOf('/') + 1)..])),
    ];
}
