using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>Creating tenants through the operator API, as an operator would.</summary>
public static class Tenants
{
    public const string Password = "tenant-password-1";

    /// <summary>A new tenant with a unique id and one user; returns that user's client.</summary>
    public static async Task<CimiClient> CreateAsync(GatewayProcess gateway, string prefix = "t")
    {
        var id = $"{prefix}-{Guid.NewGuid():N}"[..20];
        using var admin = gateway.Admin();
        var response = await admin.PostAsync("/admin/tenants",
            new JsonObject { ["id"] = id, ["user"] = id + "-user", ["password"] = Password });
        if (response.Code != 201) throw new InvalidOperationException($"Creating tenant {id} failed: {response}");
        return gateway.Client(id + "-user", Password);
    }
}
