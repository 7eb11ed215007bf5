using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http;

[Collection(GatewayCollection.Name)]
public sealed class TenantIsolationTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_tenant_neither_sees_nor_touches_another_tenants_resources()
    {
        using var alice = await fixture.NewTenantAsync();
        using var bob = await fixture.NewTenantAsync();
        var config = await CimiDocs.Created(alice, "machineConfigs", CimiDocs.Configuration());
        var template = await CimiDocs.TemplateAsync(alice);
        var machine = (await alice.PostAsync("machines", CimiDocs.MachineCreate(template))).Header("Location")!;

        foreach (var id in new[] { config, template, machine })
        {
            Assert.Equal(404, (await bob.GetAsync(id)).Code);
            Assert.Equal(404, (await bob.PutAsync(id, new JsonObject { ["name"] = "stolen" })).Code);
            Assert.Equal(404, (await bob.DeleteAsync(id)).Code);
        }
        Assert.Equal(404, (await bob.PostAsync(machine, CimiDocs.Action("stop"))).Code);
        foreach (var collection in new[] { "machineConfigs", "machineTemplates", "machines", "jobs" })
        {
            var list = (await bob.GetAsync(collection)).Json;
            Assert.Equal(0, list["count"]!.GetValue<int>());
        }

        // Nor can bob build on alice's resources by reference.
        var borrowing = await bob.PostAsync("machines", CimiDocs.MachineCreate(template));
        Assert.Equal(404, borrowing.Code);
        Assert.Contains("does not exist", borrowing.Json.Str("message"));

        Assert.Equal(200, (await alice.GetAsync(config)).Code);
    }

    [Fact]
    public async Task Tenants_and_users_are_managed_by_operators_only()
    {
        using var tenant = await fixture.NewTenantAsync();
        var response = await tenant.PostAsync("/admin/tenants",
            new JsonObject { ["id"] = "evil", ["user"] = "evil", ["password"] = "evil-password" });
        Assert.Equal(403, response.Code);

        using var admin = fixture.Gateway.Admin();
        var duplicate = await admin.PostAsync("/admin/tenants",
            new JsonObject { ["id"] = "dup-" + Guid.NewGuid().ToString("N")[..8], ["user"] = tenant.User, ["password"] = "whatever-1" });
        Assert.Equal(409, duplicate.Code);
    }
}
