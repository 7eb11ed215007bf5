using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http.Meters;

/// <summary>Request bodies of the Meter family.</summary>
public static class MeterDocs
{
    public const string Cpu = "urn:cimigrains:meter:aspect:cpu.utilization";
    public const string Memory = "urn:cimigrains:meter:aspect:memory.used";

    public static JsonObject Ref(string href) => new() { ["href"] = href };

    public static JsonObject Configuration(string aspect = Cpu, int sampleInterval = 1, string? alarmThreshold = null, string? clear = null,
        string associatedTo = "Machine")
    {
        var config = new JsonObject
        {
            ["name"] = "c", ["associatedTo"] = new JsonArray(associatedTo), ["aspect"] = aspect, ["sampleInterval"] = sampleInterval,
            ["timeScope"] = "Point", ["intervalDuration"] = "PT1M", ["isContinuous"] = true,
        };
        if (alarmThreshold is not null) config["alarmThreshold"] = alarmThreshold;
        if (clear is not null) config["alarmClearThreshold"] = clear;
        return config;
    }

    public static JsonObject Template(JsonObject meterConfig, string? target = null)
    {
        var template = new JsonObject { ["name"] = "t", ["meterConfig"] = meterConfig };
        if (target is not null) template["targetResource"] = Ref(target);
        return template;
    }

    public static JsonObject Create(JsonObject meterTemplate, string name = "m") => new() { ["name"] = name, ["meterTemplate"] = meterTemplate };

    /// <summary>A Meter of <paramref name="aspect"/> on <paramref name="target"/>, by value; returns its id.</summary>
    public static Task<string> MeterAsync(CimiClient client, string target, string aspect = Cpu, string? alarmThreshold = null, string? clear = null) =>
        CimiDocs.Created(client, "meters", Create(Template(Configuration(aspect, alarmThreshold: alarmThreshold, clear: clear), target)));

    /// <summary>A Meter of <paramref name="aspect"/> on the Volume <paramref name="target"/>, by value; returns its id.</summary>
    public static Task<string> VolumeMeterAsync(CimiClient client, string target, string aspect)
    {
        var config = Configuration(aspect);
        config["associatedTo"] = new JsonArray("Volume");
        return CimiDocs.Created(client, "meters", Create(Template(config, target)));
    }

    /// <summary>The value of the Meter's latest sample, or NaN while it has none.</summary>
    public static async Task<double> LatestAsync(CimiClient client, string meter)
    {
        var all = (await client.GetAsync($"{meter}/samples")).Json;
        var count = all["count"]!.GetValue<int>();
        if (count == 0) return double.NaN;
        var last = (await client.GetAsync($"{meter}/samples?$first={count}&$last={count}")).Json["samples"]?.AsArray() ?? [];
        return last.Count == 0 ? double.NaN : double.Parse(last[0]!["sample"]!["value"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The Meter's samples from <paramref name="since"/> (until <paramref name="until"/>, else now)
    /// aggregated per hour: one or two summaries (min, max, average, sum, count) for a test's window.</summary>
    public static async Task<System.Text.Json.Nodes.JsonArray> HourlySinceAsync(CimiClient client, string meter, DateTimeOffset since,
        DateTimeOffset? until = null)
    {
        var range = $"timestamp>='{since.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}'";
        if (until is { } u) range += $" and timestamp<'{u.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}'";
        var response = await client.GetAsync($"{meter}/samples?$filter={Uri.EscapeDataString(range)}&$aggregate=PT1H");
        Assert.True(response.Code == 200, response.ToString());
        return response.Json["samples"]?.AsArray() ?? [];
    }

    /// <summary>Writes <paramref name="count"/> readings of <paramref name="resource"/> (its relative id) straight into the samples
    /// table, one a second from <paramref name="start"/>: the values 0, 1, 2, … or <paramref name="value"/> each.</summary>
    public static async Task InsertSamplesAsync(string postgres, string tenant, string resource, string aspect, DateTimeOffset start, int count,
        double? value = null)
    {
        await using var connection = new Npgsql.NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            INSERT INTO cimi_meter_sample (tenant_id, resource_id, aspect, at, value)
            SELECT $1, $2, $3, $4 + make_interval(secs => i), coalesce($6, i) FROM generate_series(0, $5 - 1) AS i
            """, connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = resource });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = aspect });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = start.UtcDateTime, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = count });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The byte/s samples since <paramref name="since"/>, summed: bytes, at one sample a second.</summary>
    public static async Task<double> SumSinceAsync(CimiClient client, string meter, DateTimeOffset since)
    {
        var samples = await HourlySinceAsync(client, meter, since);
        return samples.Sum(s => double.Parse(s!["sample"]!["sum"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
