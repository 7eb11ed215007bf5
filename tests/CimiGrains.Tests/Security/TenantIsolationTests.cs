using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Issue 9's tenant-isolation test, against a real gateway process with two tenants made through
/// /admin. Tenant A ("alice") makes one resource of every type the CloudEntryPoint links to; tenant B
/// ("bob") then tries every verb on A's ids, every query on his own collections, and every href a
/// request body can carry with A's ids in it. Each probe with A's id is answered exactly as the same
/// probe with an id that does not exist (B learns nothing), nothing of A's appears in any answer, nothing
/// is created or changed for B, and A's resources are unchanged afterwards.
/// The cases are driven by the CloudEntryPoint: a collection link with no case, or a type no
/// href-in-body case references, fails the test, so a type added later must come with its cases.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class TenantIsolationTests(GatewayFixture fixture)
{
    /// <summary>Each CloudEntryPoint collection link: whether tenants own its items, and whether those take Actions.</summary>
    private static readonly IReadOnlyDictionary<string, (bool Owned, bool HasActions)> CollectionCases = new Dictionary<string, (bool, bool)>(NetworkCollectionCases.Concat(MeterCollectionCases).Concat(EventLogCollectionCases))
    {
        ["machines"] = (true, true),
        ["machineTemplates"] = (true, false),
        ["machineConfigs"] = (true, false),
        ["machineImages"] = (true, false),
        ["credentials"] = (true, false),
        ["credentialTemplates"] = (true, false),
        ["jobs"] = (true, false),
        ["volumes"] = (true, false),
        ["volumeTemplates"] = (true, false),
        ["volumeConfigs"] = (true, false),
        ["volumeImages"] = (true, false),
        ["systems"] = (true, true),
        ["systemTemplates"] = (true, false),
        // Describes this build; the same for every tenant, written by none (checked below).
        ["resourceMetadata"] = (false, false),
    };

    /// <summary>Collections whose ids this test's generic verbs do not fit, with their isolation tested beside their family:
    /// an EventLog's id is its resource's (A's explicit log is probed through A's Machine: TenantIsolationTests.EventLogs),
    /// every tenant's own log is <c>eventLogs/tenant</c>, and Event ids are numbers (Http/Events/EventLogApiTests:
    /// Another_tenants_EventLogs_and_Events_are_404, A_refused_cross_tenant_GET_answers_as_a_missing_id…).</summary>
    private static readonly IReadOnlySet<string> CoveredElsewhere = new HashSet<string> { "eventLogs", "events" };

    [Fact]
    public async Task A_tenant_gets_for_another_tenants_ids_exactly_what_it_gets_for_ids_that_do_not_exist()
    {
        using var alice = await Tenants.CreateAsync(fixture.Gateway, "alice");
        using var bobClient = await Tenants.CreateAsync(fixture.Gateway, "bob");
        var mark = "alice-secret-" + Guid.NewGuid().ToString("N")[..12];
        // The public volume image both tenants' VolumeImages may name.
        await Http.Volumes.VolumeDocs.RegisterPublicVolumeImageAsync(fixture.Postgres, PublicVolumeImage);
        var a = await MakeOneOfEachAsync(alice, mark);

        // The entry point decides what must be covered.
        var links = (await alice.GetAsync("cloudEntryPoint")).Json
            .Where(p => p.Value is JsonObject o && o.ContainsKey("href"))
            .ToDictionary(p => p.Key, p => p.Value!["href"]!.GetValue<string>());
        var uncovered = links.Keys.Where(k => !CollectionCases.ContainsKey(k) && !CoveredElsewhere.Contains(k)).ToList();
        Assert.True(uncovered.Count == 0,
            $"CloudEntryPoint links {string.Join(", ", uncovered)} have no tenant-isolation case: add them to {nameof(CollectionCases)} and give them reference cases.");
        var owned = CollectionCases.Where(c => c.Value.Owned && links.ContainsKey(c.Key)).Select(c => c.Key).ToList();
        Assert.Equal(owned.Order(), a.Ids.Keys.Order());

        var bob = new Probe(bobClient, a);
        var b = await MakeBobsOwnAsync(bobClient);
        var before = await SnapshotAsync(alice, a);

        // Every verb on every one of A's resources.
        foreach (var collection in owned)
        {
            var id = a.Ids[collection];
            var missing = Missing(bobClient, collection);
            await bob.SameAsMissing($"GET {collection}/<A's>", u => bobClient.GetAsync(u), id, missing, expect: 404);
            await bob.SameAsMissing($"GET {collection}/<A's>?$select", u => bobClient.GetAsync(u + "?$select=name,description"), id, missing, expect: 404);
            await bob.SameAsMissing($"GET {collection}/<A's>?$expand", u => bobClient.GetAsync(u + "?$expand=*"), id, missing, expect: 404);
            await bob.SameAsMissing($"GET {collection}/<A's> as XML", u => bobClient.GetAsync(u, "application/xml"), id, missing, expect: 404);
            await bob.SameAsMissing($"PUT {collection}/<A's>", u => bobClient.PutAsync(u, a.UpdateBodies[collection].DeepClone()), id, missing, expect: 404);
            await bob.SameAsMissing($"PUT {collection}/<A's>?$select=name",
                u => bobClient.PutAsync(u + "?$select=name", new JsonObject { ["name"] = "stolen" }), id, missing, expect: 404);
            await bob.SameAsMissing($"DELETE {collection}/<A's>", u => bobClient.DeleteAsync(u), id, missing, expect: 404);
            foreach (var action in new[] { "start", "stop", "restart", "pause", "suspend", "capture" })
                await bob.SameAsMissing($"POST {action} to {collection}/<A's>", u => bobClient.PostAsync(u, CimiDocs.Action(action, force: true)), id, missing,
                    expect: CollectionCases[collection].HasActions ? 404 : null);
        }

        // B's collections never list A's items, whatever the query.
        foreach (var collection in owned)
        {
            var id = a.Ids[collection];
            var local = id[(id.LastIndexOf('/') + 1)..];
            foreach (var query in new[] { "", "?$expand=*", "?$select=name", $"?$filter=name='{mark}'", $"?$filter=name='{mark}' or name!='{mark}'",
                         $"?$filter=description='{mark}'", "?$first=1&$last=1000" })
            {
                var list = await bob.Send($"GET {collection}{query}", () => bobClient.GetAsync(collection + query));
                Assert.True(list.Code == 200, $"B's GET {collection}{query}: {list}");
                Assert.DoesNotContain(local, list.Body);
            }
            // Filtering on A's id: the same answer as on an id that does not exist (whether id is filterable or not).
            var missing = Missing(bobClient, collection);
            await bob.SameAsMissing($"GET {collection}?$filter=id=<A's>", u => bobClient.GetAsync($"{collection}?$filter=id='{Uri.EscapeDataString(u)}'"), id, missing, mustRefuse: false);
            await bob.SameAsMissing($"GET {collection}?$filter=id=<A's relative>",
                u => bobClient.GetAsync($"{collection}?$filter=id='{Uri.EscapeDataString(u[bobClient.Cimi.Length..])}'"), id, missing, mustRefuse: false);
        }
        foreach (var path in new[] { "cloudEntryPoint?$expand=*", "cloudEntryPoint?$expand=machines,jobs,credentials", "jobs?$expand=targetResource,affectedResources",
                     "machines?$expand=machineImage,machineConfig", "machineTemplates?$expand=*", "machineImages?$expand=relatedImage" })
        {
            var expanded = await bob.Send($"GET {path}", () => bobClient.GetAsync(path));
            Assert.True(expanded.Code == 200, $"B's GET {path}: {expanded}");
        }

        // The provider-wide collections read the same for both tenants and take no writes.
        foreach (var collection in CollectionCases.Where(c => !c.Value.Owned && links.ContainsKey(c.Key)).Select(c => c.Key))
        {
            var forA = await alice.GetAsync(collection);
            var forB = await bob.Send($"GET {collection}", () => bobClient.GetAsync(collection));
            Assert.True(forB.Code == 200 && JsonNode.DeepEquals(forA.Json, forB.Json), $"{collection} differs between tenants:\nA {forA}\nB {forB}");
            foreach (var write in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
            {
                var response = await bob.Send($"{write} {collection}", () => bobClient.SendAsync(write, collection, "{\"name\":\"x\"}", "application/json"));
                Assert.True(response.Code is >= 400 and < 500, $"{write} {collection}: {response}");
            }
        }

        // Every href a request body can carry, with A's id in it.
        var cases = ReferenceCases(b).Concat(NetworkReferenceCases(b, b.Networks!)).Concat(SystemReferenceCases(b)).Concat(MeterReferenceCases(b)).Concat(EventLogReferenceCases(b)).ToList();
        var referenced = cases.Select(c => c.Referenced).ToHashSet();
        var unreferenced = owned.Where(c => !referenced.Contains(c)).ToList();
        Assert.True(unreferenced.Count == 0,
            $"No href-in-body case puts A's {string.Join(", ", unreferenced)} into B's request; add one to {nameof(ReferenceCases)}.");
        foreach (var @case in cases)
        {
            var counts = await bob.CountsAsync(owned);
            await bob.SameAsMissing(@case.Name, u => @case.Send(bobClient, u), a.Ids[@case.Referenced], Missing(bobClient, @case.Referenced),
                expect: @case.Expect);
            Assert.Equal(counts, await bob.CountsAsync(owned));
        }
        // B's own resources that the PUT cases aimed at are as B made them.
        foreach (var (id, document) in b.Documents)
            Assert.True(JsonNode.DeepEquals(document, (await bobClient.GetAsync(id)).Json), $"B's {id} changed: {(await bobClient.GetAsync(id)).Body}");

        // A's resources are as they were.
        var after = await SnapshotAsync(alice, a);
        foreach (var (id, document) in before)
            Assert.True(JsonNode.DeepEquals(document, after[id]), $"A's {id} changed:\nbefore {document.ToJsonString()}\nafter  {after[id].ToJsonString()}");
    }

    private const string PublicVolumeImage = "volume:isolation/blank";

    /// <summary>Everything A made: the id per CloudEntryPoint collection, and a full update body for each.</summary>
    private sealed record Alice(string Mark, Dictionary<string, string> Ids, Dictionary<string, JsonObject> UpdateBodies, string Password);

    /// <summary>B's own resources, to build requests that would succeed but for A's id in them.</summary>
    private sealed record Bob(string Config, string Image, string Credential, string Template, string Machine, string Job,
        Dictionary<string, JsonObject> Documents)
    {
        public string VolumeConfig { get; init; } = "";
        public string VolumeImage { get; init; } = "";
        public string VolumeTemplate { get; init; } = "";
        public BobsNetworks? Networks { get; init; }
        public string System { get; init; } = "";
    }

    /// <summary>One href-in-body case: <see cref="Send"/> puts an id of <see cref="Referenced"/> where a client may put one.</summary>
    private sealed record ReferenceCase(string Name, string Referenced, Func<CimiClient, string, Task<CimiResponse>> Send, int? Expect = null);

    private static List<ReferenceCase> ReferenceCases(Bob b)
    {
        JsonObject Ref(string href) => new() { ["href"] = href };
        JsonObject Inline(string config, string image, string? credential = null)
        {
            var t = new JsonObject { ["machineConfig"] = Ref(config), ["machineImage"] = Ref(image) };
            if (credential is not null) t["credential"] = Ref(credential);
            return t;
        }
        JsonObject Create(JsonObject template) => new() { ["name"] = "bob-m", ["machineTemplate"] = template };
        return
        [
            new("MachineTemplate.machineConfig", "machineConfigs", (c, id) => c.PostAsync("machineTemplates", CimiDocs.Template(id, b.Image))),
            new("MachineTemplate.machineImage", "machineImages", (c, id) => c.PostAsync("machineTemplates", CimiDocs.Template(b.Config, id))),
            new("MachineTemplate.credential", "credentials", (c, id) => c.PostAsync("machineTemplates", CimiDocs.Template(b.Config, b.Image, id))),
            new("MachineTemplate.machineConfig in XML", "machineConfigs", (c, id) => c.SendAsync(HttpMethod.Post, "machineTemplates",
                $"<MachineTemplate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>t</name><machineConfig href=\"{id}\"/><machineImage href=\"{b.Image}\"/></MachineTemplate>",
                "application/xml")),
            new("PUT MachineTemplate.machineConfig", "machineConfigs", (c, id) => c.PutAsync(b.Template, CimiDocs.Template(id, b.Image))),
            new("PUT MachineTemplate?$select=credential", "credentials",
                (c, id) => c.PutAsync(b.Template + "?$select=credential", new JsonObject { ["credential"] = Ref(id) })),
            new("MachineCreate.machineTemplate by reference", "machineTemplates", (c, id) => c.PostAsync("machines", CimiDocs.MachineCreate(id))),
            new("MachineCreate.machineTemplate by reference in XML", "machineTemplates", (c, id) => c.SendAsync(HttpMethod.Post, "machines",
                $"<MachineCreate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>m</name><machineTemplate href=\"{id}\"/></MachineCreate>", "application/xml")),
            new("MachineCreate.machineTemplate by reference with overrides", "machineTemplates", (c, id) =>
            {
                var template = Ref(id);
                template["machineConfig"] = Ref(b.Config);
                template["machineImage"] = Ref(b.Image);
                return c.PostAsync("machines", Create(template));
            }),
            new("MachineCreate inline machineConfig", "machineConfigs", (c, id) => c.PostAsync("machines", Create(Inline(id, b.Image)))),
            new("MachineCreate inline machineConfig with overrides", "machineConfigs", (c, id) =>
            {
                var template = Inline(id, b.Image);
                template["machineConfig"]!["cpu"] = 1;
                return c.PostAsync("machines", Create(template));
            }),
            new("MachineCreate inline machineImage", "machineImages", (c, id) => c.PostAsync("machines", Create(Inline(b.Config, id)))),
            new("MachineCreate inline credential", "credentials", (c, id) => c.PostAsync("machines", Create(Inline(b.Config, b.Image, id)))),
            new("MachineCreate B's template overriding the credential", "credentials", (c, id) =>
            {
                var template = Ref(b.Template);
                template["credential"] = Ref(id);
                return c.PostAsync("machines", Create(template));
            }),
            new("MachineCreate inline credential in XML", "credentials", (c, id) => c.SendAsync(HttpMethod.Post, "machines",
                $"<MachineCreate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>m</name><machineTemplate><machineConfig href=\"{b.Config}\"/>" +
                $"<machineImage href=\"{b.Image}\"/><credential href=\"{id}\"/></machineTemplate></MachineCreate>", "application/xml")),
            new("CredentialCreate.credentialTemplate by reference", "credentialTemplates", (c, id) => c.PostAsync("credentials",
                new JsonObject { ["name"] = "bob-c", ["credentialTemplate"] = Ref(id) })),
            new("CredentialCreate.credentialTemplate by reference with overrides", "credentialTemplates", (c, id) =>
            {
                var template = Ref(id);
                template["userName"] = "bob";
                return c.PostAsync("credentials", new JsonObject { ["name"] = "bob-c", ["credentialTemplate"] = template });
            }),
            // A capture of another tenant's Machine.
            new("MachineImage.imageLocation naming a Machine (capture)", "machines", (c, id) => c.PostAsync("machineImages", CimiDocs.Image(id))),
            new("MachineImage.imageLocation naming a Machine by relative id (capture)", "machines",
                (c, id) => c.PostAsync("machineImages", CimiDocs.Image(id[c.Cimi.Length..]))),
            new("MachineImage.relatedImage", "machineImages", (c, id) => c.PostAsync("machineImages",
                new JsonObject { ["name"] = "bob-i", ["imageLocation"] = "docker:cimigrains/demo:latest", ["relatedImage"] = Ref(id) })),
            new("MachineTemplate inline machineImage.relatedImage", "machineImages", (c, id) => c.PostAsync("machineTemplates", new JsonObject
            {
                ["name"] = "bob-t", ["machineConfig"] = Ref(b.Config),
                ["machineImage"] = new JsonObject { ["imageLocation"] = "docker:cimigrains/demo:latest", ["relatedImage"] = Ref(id) },
            })),
            new("MachineCreate inline machineImage.relatedImage", "machineImages", (c, id) => c.PostAsync("machines", Create(new JsonObject
            {
                ["machineConfig"] = Ref(b.Config),
                ["machineImage"] = new JsonObject { ["imageLocation"] = "docker:cimigrains/demo:latest", ["relatedImage"] = Ref(id) },
            }))),
            new("capture of B's Machine with relatedImage", "machineImages", (c, id) => c.PostAsync("machineImages",
                new JsonObject { ["name"] = "bob-i", ["imageLocation"] = b.Machine, ["relatedImage"] = Ref(id) })),
            // The Volume family: every href a VolumeTemplate or a VolumeCreate carries, and a capture of A's Volume.
            new("VolumeTemplate.volumeConfig", "volumeConfigs", (c, id) => c.PostAsync("volumeTemplates", new JsonObject { ["name"] = "bob-t", ["volumeConfig"] = Ref(id) })),
            new("VolumeTemplate.volumeImage", "volumeImages", (c, id) => c.PostAsync("volumeTemplates",
                new JsonObject { ["name"] = "bob-t", ["volumeConfig"] = Ref(b.VolumeConfig), ["volumeImage"] = Ref(id) })),
            new("VolumeCreate.volumeTemplate by reference", "volumeTemplates", (c, id) => c.PostAsync("volumes", Http.Volumes.VolumeDocs.Create(Ref(id)))),
            new("VolumeCreate.volumeTemplate by reference in XML", "volumeTemplates", (c, id) => c.SendAsync(HttpMethod.Post, "volumes",
                $"<VolumeCreate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>v</name><volumeTemplate href=\"{id}\"/></VolumeCreate>", "application/xml")),
            new("VolumeCreate.volumeTemplate by reference with overrides", "volumeTemplates", (c, id) =>
            {
                var template = Ref(id);
                template["volumeConfig"] = Ref(b.VolumeConfig);
                return c.PostAsync("volumes", Http.Volumes.VolumeDocs.Create(template));
            }),
            new("VolumeCreate inline volumeConfig", "volumeConfigs", (c, id) => c.PostAsync("volumes",
                Http.Volumes.VolumeDocs.Create(new JsonObject { ["volumeConfig"] = Ref(id) }))),
            new("VolumeCreate inline volumeConfig with overrides", "volumeConfigs", (c, id) =>
            {
                var config = Ref(id);
                config["capacity"] = 2048;
                return c.PostAsync("volumes", Http.Volumes.VolumeDocs.Create(new JsonObject { ["volumeConfig"] = config }));
            }),
            new("VolumeCreate inline volumeImage", "volumeImages", (c, id) => c.PostAsync("volumes",
                Http.Volumes.VolumeDocs.Create(new JsonObject { ["volumeConfig"] = Ref(b.VolumeConfig), ["volumeImage"] = Ref(id) }))),
            new("VolumeCreate B's template overriding the volumeImage", "volumeImages", (c, id) =>
            {
                var template = Ref(b.VolumeTemplate);
                template["volumeImage"] = Ref(id);
                return c.PostAsync("volumes", Http.Volumes.VolumeDocs.Create(template));
            }),
            new("VolumeImage.imageLocation naming a Volume (capture)", "volumes", (c, id) => c.PostAsync("volumeImages",
                new JsonObject { ["name"] = "bob-vi", ["imageLocation"] = id })),
            new("VolumeImage.imageLocation naming a Volume by href (capture)", "volumes", (c, id) => c.PostAsync("volumeImages",
                new JsonObject { ["name"] = "bob-vi", ["imageLocation"] = Ref(id[c.Cimi.Length..]) })),
            // Machines on Networks: a Network href in a MachineNetworkInterface, a MachineCreate, a MachineTemplate.
            .. MachineNetworkReferenceCases(b),
            new("PUT Machine.machineConfig", "machineConfigs", (c, id) => c.PutAsync(b.Machine, new JsonObject { ["name"] = "m", ["machineConfig"] = Ref(id) })),
            new("PUT Machine.machineImage", "machineImages", (c, id) => c.PutAsync(b.Machine, new JsonObject { ["name"] = "m", ["machineImage"] = Ref(id) })),
            new("PUT Job.targetResource", "machines", (c, id) => c.PutAsync(b.Job, new JsonObject { ["name"] = "j", ["targetResource"] = Ref(id) })),
            new("PUT Job.parentJob", "jobs", (c, id) => c.PutAsync(b.Job, new JsonObject { ["name"] = "j", ["parentJob"] = Ref(id) })),
            new("PUT Job?$select=nestedJobs", "jobs",
                (c, id) => c.PutAsync(b.Job + "?$select=nestedJobs", new JsonObject { ["nestedJobs"] = new JsonArray(Ref(id)) })),
            new("PUT Job.affectedResources", "credentials",
                (c, id) => c.PutAsync(b.Job, new JsonObject { ["name"] = "j", ["affectedResources"] = new JsonArray(Ref(id)) })),
        ];
    }

    private static async Task<Alice> MakeOneOfEachAsync(CimiClient alice, string mark)
    {
        var password = "pw-" + mark;
        JsonObject Named(JsonObject body)
        {
            body["name"] = mark;
            body["description"] = mark;
            return body;
        }
        var credentialTemplate = await CimiDocs.Created(alice, "credentialTemplates",
            Named(new JsonObject { ["userName"] = "alice", ["password"] = password }));
        var credential = await CimiDocs.Created(alice, "credentials", Named(CimiDocs.CredentialCreate("alice", password)));
        var config = await CimiDocs.Created(alice, "machineConfigs", Named(CimiDocs.Configuration()));
        var image = await CimiDocs.Created(alice, "machineImages", Named(CimiDocs.Image()));
        var template = await CimiDocs.Created(alice, "machineTemplates", Named(CimiDocs.Template(config, image, credential)));
        var created = await alice.PostAsync("machines", Named(CimiDocs.MachineCreate(template)));
        var job = created.JobUri();
        // No host is connected: the create Job fails and the Machine settles in ERROR, so nothing moves while B tries.
        await alice.WaitForJobAsync(job);
        var machine = created.Header("Location")!;
        var volumeConfig = await CimiDocs.Created(alice, "volumeConfigs", Named(Http.Volumes.VolumeDocs.Configuration()));
        var volumeImage = await CimiDocs.Created(alice, "volumeImages", Named(new JsonObject { ["imageLocation"] = PublicVolumeImage }));
        var volumeTemplate = await CimiDocs.Created(alice, "volumeTemplates", Named(new JsonObject
        {
            ["volumeConfig"] = new JsonObject { ["href"] = volumeConfig }, ["volumeImage"] = new JsonObject { ["href"] = volumeImage },
        }));
        var volumeCreated = await alice.PostAsync("volumes", Named(Http.Volumes.VolumeDocs.Create(new JsonObject { ["href"] = volumeTemplate })));
        // No volume pool is connected either: the Volume settles in ERROR.
        await alice.WaitForJobAsync(volumeCreated.JobUri());

        var ids = new Dictionary<string, string>
        {
            ["credentialTemplates"] = credentialTemplate, ["credentials"] = credential, ["machineConfigs"] = config,
            ["machineImages"] = image, ["machineTemplates"] = template, ["machines"] = machine, ["jobs"] = job,
            ["volumeConfigs"] = volumeConfig, ["volumeImages"] = volumeImage, ["volumeTemplates"] = volumeTemplate,
            ["volumes"] = volumeCreated.Header("Location")!,
        };
        // What A itself could PUT: B sending it must change nothing.
        var updates = new Dictionary<string, JsonObject>
        {
            ["credentialTemplates"] = new() { ["name"] = "stolen", ["userName"] = "bob", ["password"] = "bob-password-1" },
            ["credentials"] = new() { ["name"] = "stolen", ["userName"] = "bob", ["password"] = "bob-password-1" },
            ["machineConfigs"] = new() { ["name"] = "stolen", ["cpu"] = 2, ["memory"] = 524288 },
            ["machineImages"] = new() { ["name"] = "stolen", ["imageLocation"] = "docker:busybox" },
            ["machineTemplates"] = CimiDocs.Template(config, image),
            ["machines"] = new() { ["name"] = "stolen" },
            ["jobs"] = new() { ["name"] = "stolen" },
            ["volumeConfigs"] = new() { ["name"] = "stolen", ["capacity"] = 2048 },
            ["volumeImages"] = new() { ["name"] = "stolen", ["imageLocation"] = PublicVolumeImage },
            ["volumeTemplates"] = new() { ["name"] = "stolen", ["volumeConfig"] = new JsonObject { ["href"] = volumeConfig } },
            ["volumes"] = new() { ["name"] = "stolen" },
        };
        await MakeNetworksAsync(alice, Named, ids, updates);
        await MakeSystemsAsync(alice, Named, ids, updates);
        await MakeMetersAsync(alice, Named, ids, updates);
        await MakeEventLogsAsync(alice, Named, ids, updates);
        return new Alice(mark, ids, updates, password);
    }

    private static async Task<Bob> MakeBobsOwnAsync(CimiClient bob)
    {
        var config = await CimiDocs.Created(bob, "machineConfigs", CimiDocs.Configuration());
        var image = await CimiDocs.Created(bob, "machineImages", CimiDocs.Image());
        var credential = await CimiDocs.Created(bob, "credentials", CimiDocs.CredentialCreate("bob", "bob-password-1"));
        var template = await CimiDocs.Created(bob, "machineTemplates", CimiDocs.Template(config, image, credential));
        var created = await bob.PostAsync("machines", CimiDocs.MachineCreate(template, "bob-m"));
        var job = created.JobUri();
        await bob.WaitForJobAsync(job);
        var machine = created.Header("Location")!;
        var documents = new Dictionary<string, JsonObject>();
        foreach (var id in new[] { template, machine, job }) documents[id] = (await bob.GetAsync(id)).Json;
        var volumeConfig = await CimiDocs.Created(bob, "volumeConfigs", Http.Volumes.VolumeDocs.Configuration());
        var volumeImage = await CimiDocs.Created(bob, "volumeImages", new JsonObject { ["imageLocation"] = PublicVolumeImage });
        var volumeTemplate = await CimiDocs.Created(bob, "volumeTemplates", Http.Volumes.VolumeDocs.Template(volumeConfig));
        documents[volumeTemplate] = (await bob.GetAsync(volumeTemplate)).Json;
        var networks = await MakeBobsNetworksAsync(bob);
        documents[networks.Template] = (await bob.GetAsync(networks.Template)).Json;
        return new Bob(config, image, credential, template, machine, job, documents)
        {
            VolumeConfig = volumeConfig, VolumeImage = volumeImage, VolumeTemplate = volumeTemplate, Networks = networks,
            System = await MakeBobsSystemAsync(bob),
        };
    }

    /// <summary>A's view of each of A's resources and collections.</summary>
    private static async Task<Dictionary<string, JsonObject>> SnapshotAsync(CimiClient alice, Alice a)
    {
        var snapshot = new Dictionary<string, JsonObject>();
        foreach (var (collection, id) in a.Ids)
        {
            var resource = await alice.GetAsync(id);
            Assert.True(resource.Code == 200, $"A's GET {id}: {resource}");
            snapshot[id] = resource.Json;
            snapshot[collection] = (await alice.GetAsync(collection)).Json;
        }
        return snapshot;
    }

    private static string Missing(CimiClient client, string collection) => $"{client.Cimi}{collection}/{Guid.NewGuid():N}";

    /// <summary>
    /// B's side: every answer is checked for anything of A's (A's names and descriptions, A's password,
    /// and any of A's ids B did not send himself), and compared with the answer for an id that does not exist.
    /// </summary>
    private sealed partial class Probe(CimiClient bob, Alice a)
    {
        public async Task<CimiResponse> Send(string what, Func<Task<CimiResponse>> send, string? sentId = null)
        {
            var response = await send();
            Assert.True(response.Code < 500, $"{what}: {response}");
            var text = response.Body + "\n" + string.Join("\n", response.Headers.Select(h => $"{h.Key}: {h.Value}"));
            Assert.False(text.Contains(a.Mark, StringComparison.Ordinal), $"{what} shows A's resource: {text}");
            Assert.False(text.Contains(a.Password, StringComparison.Ordinal), $"{what} shows A's password: {text}");
            foreach (var id in a.Ids.Values.Where(id => id != sentId))
            {
                var local = id[(id.LastIndexOf('/') + 1)..];
                Assert.False(text.Contains(local, StringComparison.Ordinal), $"{what} names A's {id} although B did not: {text}");
            }
            return response;
        }

        /// <summary>The answer for A's id is the answer for an id that does not exist, id for id (and, when given, has the expected status).</summary>
        public async Task SameAsMissing(string what, Func<string, Task<CimiResponse>> send, string foreignId, string missingId, int? expect = null,
            bool mustRefuse = true)
        {
            var foreign = await Send(what + " with A's id", () => send(foreignId), foreignId);
            var missing = await Send(what + " with an id that does not exist", () => send(missingId));
            if (expect is { } code) Assert.True(foreign.Code == code, $"{what}: expected {code}, got {foreign}");
            else if (mustRefuse) Assert.True(foreign.Code is >= 400 and < 500, $"{what} with A's id was not refused: {foreign}");
            Assert.True(missing.Code == foreign.Code && Normalized(missing, missingId) == Normalized(foreign, foreignId),
                $"{what} tells A's id from a missing one:\nA's id  {foreign}\nmissing {missing}");
        }

        public async Task<string> CountsAsync(IEnumerable<string> collections)
        {
            var counts = new List<string>();
            foreach (var collection in collections)
                counts.Add($"{collection}={(await bob.GetAsync(collection)).Json["count"]}");
            return string.Join(", ", counts);
        }

        private static string Normalized(CimiResponse response, string id)
        {
            var local = id[(id.LastIndexOf('/') + 1)..];
            var body = RequestId().Replace(response.Body, "");
            return $"{response.Code} {response.Header("Allow")} {body.Replace(local, "{id}", StringComparison.Ordinal)}";
        }

        [GeneratedRegex("\"requestId\"\\s*:\\s*\"[^\"]*\"|<requestId>[^<]*</requestId>")]
        private static partial Regex RequestId();
    }
}
