using System.Text.Json.Nodes;
using Npgsql;

namespace CimiGrains.Tests.Http.Volumes;

/// <summary>Volume family documents for HTTP tests, and a public volume image standing in for one an operator registered.</summary>
public static class VolumeDocs
{
    public static JsonObject Configuration(long capacityKiB = 1024 * 1024, string? format = "ext4")
    {
        var config = new JsonObject { ["name"] = "1 GiB", ["description"] = "a small volume", ["capacity"] = capacityKiB };
        if (format is not null) config["format"] = format;
        return config;
    }

    public static JsonObject Template(string configHref) =>
        new() { ["name"] = "data", ["description"] = "a data volume", ["volumeConfig"] = new JsonObject { ["href"] = configHref } };

    public static JsonObject Create(JsonObject template, string name = "data") => new()
    {
        ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/VolumeCreate",
        ["name"] = name,
        ["description"] = "a volume for the tests",
        ["volumeTemplate"] = template,
    };

    /// <summary>
    /// Records <paramref name="location"/> in the cluster image store as an operator-registered (public)
    /// image, as <c>POST /admin/images</c> would; that endpoint takes only the Machine drivers' schemes so
    /// far, so the tests write the row it would write (no bytes: nothing here fetches them).
    /// </summary>
    public static async Task RegisterPublicVolumeImageAsync(string postgres, string location)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO cimi_image (location, driver, kind, format, owner_tenant, sha256, size_bytes, blob_id) " +
            "VALUES ($1, 'volume', 'registered', 'raw', NULL, $2, 0, $3) ON CONFLICT (location) DO NOTHING", connection);
        insert.Parameters.Add(new() { Value = location });
        insert.Parameters.Add(new() { Value = new string('0', 64) });
        insert.Parameters.Add(new() { Value = Guid.NewGuid() });
        await insert.ExecuteNonQueryAsync();
    }
}
