using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http;

/// <summary>The Machine family over HTTP with no host agent connected (the agents tests cover hosts).</summary>
[Collection(GatewayCollection.Name)]
public sealed class MachineApiTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Creating_a_machine_returns_202_and_a_job_that_fails_saying_no_host_is_available()
    {
        using var client = await fixture.NewTenantAsync();
        var credential = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
        var template = await CimiDocs.TemplateAsync(client, credential);

        var response = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "web-1"));

        var jobUri = response.JobUri();
        var machineUri = response.Header("Location")!;
        Assert.StartsWith(client.Cimi + "machines/", machineUri);
        Assert.StartsWith(client.Cimi + "jobs/", jobUri);
        Assert.Equal(machineUri, response.Json.Str("id")); // the body is the new Machine; the Job is in CIMI-Job-URI

        var job = await client.WaitForJobAsync(jobUri);
        Assert.Equal("FAILED", job.Str("state"));
        Assert.Contains("No host is available", job.Str("statusMessage"));
        Assert.Equal(machineUri, job["targetResource"].Str("href"));
        Assert.Equal("add", job.Str("action"));

        var machine = (await client.GetAsync(machineUri)).Json;
        Assert.Equal("ERROR", machine.Str("state"));
        Assert.Equal("web-1", machine.Str("name"));
        Assert.Equal(1, machine["cpu"]!.GetValue<int>());
        Assert.Equal(262144, machine["memory"]!.GetValue<long>());
        Assert.Contains("http://schemas.dmtf.org/cimi/1/action/start", machine.Rels());
        Assert.DoesNotContain("http://schemas.dmtf.org/cimi/1/action/pause", machine.Rels());
    }

    [Fact]
    public async Task A_template_by_value_with_an_initial_state_is_accepted()
    {
        using var client = await fixture.NewTenantAsync();
        var config = await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration(2, 524288));
        var body = new JsonObject
        {
            ["name"] = "by-value",
            ["machineTemplate"] = new JsonObject
            {
                ["initialState"] = "STOPPED",
                ["machineConfig"] = new JsonObject { ["href"] = config, ["cpu"] = 3 },
                ["machineImage"] = new JsonObject { ["imageLocation"] = "docker:cimigrains/demo:latest" },
            },
        };
        var response = await client.PostAsync("machines", body);
        response.JobUri();
        var machine = (await client.GetAsync(response.Header("Location")!)).Json;
        Assert.Equal(3, machine["cpu"]!.GetValue<int>()); // the override wins over the referenced cpu
        Assert.Equal(524288, machine["memory"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_action_not_allowed_in_the_current_state_gets_409_naming_state_and_action()
    {
        using var client = await fixture.NewTenantAsync();
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);

        var pause = await client.PostAsync(machineUri, CimiDocs.Action("pause"));

        Assert.Equal(409, pause.Code);
        Assert.Contains("ERROR", pause.Json.Str("message"));
        Assert.Contains("pause", pause.Json.Str("message"));
    }

    [Fact]
    public async Task Deleting_a_machine_that_never_reached_a_host_removes_it_through_a_job()
    {
        using var client = await fixture.NewTenantAsync();
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);

        var delete = await client.DeleteAsync(machineUri);
        var job = await client.WaitForJobAsync(delete.JobUri());
        Assert.Equal("SUCCESS", job.Str("state"));
        Assert.Equal(404, (await client.GetAsync(machineUri)).Code);
        var list = (await client.GetAsync("machines")).Json;
        Assert.Equal(0, list["count"]!.GetValue<int>());
        Assert.Null(list["machines"]); // empty arrays are omitted
    }

    [Fact]
    public async Task Machine_update_changes_name_and_properties_but_rejects_provider_attributes()
    {
        using var client = await fixture.NewTenantAsync();
        var template = await CimiDocs.TemplateAsync(client);
        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template));
        var machineUri = created.Header("Location")!;

        var update = await client.PutAsync(machineUri,
            new JsonObject { ["name"] = "renamed", ["properties"] = new JsonObject { ["team"] = "blue" } });
        Assert.True(update.Code == 200, update.ToString());
        Assert.Equal("renamed", update.Json.Str("name"));
        Assert.Equal("blue", update.Json["properties"].Str("team"));

        var massAssignment = await client.PutAsync(machineUri, new JsonObject { ["name"] = "x", ["state"] = "STARTED" });
        Assert.Equal(400, massAssignment.Code);
        Assert.Contains("'state'", massAssignment.Json.Str("message"));
    }

    [Fact]
    public async Task Credential_passwords_are_write_only()
    {
        using var client = await fixture.NewTenantAsync();
        var id = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate("alice", "very-secret-1"));
        var read = await client.GetAsync(id);
        Assert.Equal("alice", read.Json.Str("userName"));
        Assert.DoesNotContain("very-secret-1", read.Body);
        var list = await client.GetAsync("credentials");
        Assert.DoesNotContain("very-secret-1", list.Body);

        var template = await CimiDocs.Created(client, "credentialTemplates",
            new JsonObject { ["userName"] = "bob", ["password"] = "another-secret" });
        Assert.DoesNotContain("another-secret", (await client.GetAsync(template)).Body);
        var fromTemplate = await client.PostAsync("credentials",
            new JsonObject { ["credentialTemplate"] = new JsonObject { ["href"] = template } });
        Assert.Equal(201, fromTemplate.Code);
        Assert.Equal("bob", fromTemplate.Json.Str("userName"));
    }

    [Fact]
    public async Task Collections_page_with_first_and_last_and_keep_count_of_all()
    {
        using var client = await fixture.NewTenantAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(await CimiDocs.Created(client, "machineImages", CimiDocs.Image()));

        var page = (await client.GetAsync("machineImages?$first=2&$last=3")).Json;
        Assert.Equal(5, page["count"]!.GetValue<int>());
        var items = page["machineImages"]!.AsArray().Select(i => i.Str("id")).ToList();
        Assert.Equal(ids.Skip(1).Take(2), items);
        Assert.Contains(page["operations"]!.AsArray(), o => o.Str("rel") == "add");
    }

    [Fact]
    public async Task Jobs_cannot_be_created_by_consumers()
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.PostAsync("jobs", new JsonObject { ["name"] = "mine" });
        Assert.Equal(405, response.Code);
        Assert.DoesNotContain(((await client.GetAsync("jobs")).Json["operations"]?.AsArray() ?? []), o => o.Str("rel") == "add");
    }
}
