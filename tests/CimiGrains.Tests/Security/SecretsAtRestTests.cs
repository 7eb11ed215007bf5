using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CimiGrains.Credentials;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Machines;
using CimiGrains.Grains.Security;
using CimiGrains.Hosts;
using CimiGrains.Machines;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Storage;
using Orleans.Serialization;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Secrets encrypted at rest (issue 9, finding 9): Credential passwords, a Machine's admin password and
/// user-data are sealed with the operator's key in the grain storage table, readable after a key
/// rotation, and the gateway refuses to start without a key.
/// </summary>
public sealed class SecretsAtRestTests
{
    private static readonly byte[] OldKey = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] NewKey = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task No_password_or_user_data_is_in_plaintext_in_the_grain_storage_table()
    {
        var postgres = await TestDatabase.CreateAsync("secrets");
        await using var gateway = await GatewayProcess.StartAsync(postgres);
        var client = await Tenants.CreateAsync(gateway);
        var secrets = Enumerable.Range(1, 5).Select(i => $"pw{i}-{Guid.NewGuid():N}").ToArray();
        var userData = $"#!/bin/sh\necho user-data-{Guid.NewGuid():N}\n";
        var userDataBase64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(userData));

        await Created(client.PostAsync("credentialTemplates", new JsonObject { ["name"] = "ct", ["userName"] = "root", ["password"] = secrets[0] }));
        var credential = await Created(client.PostAsync("credentials", new JsonObject
        {
            ["name"] = "c", ["credentialTemplate"] = new JsonObject { ["userName"] = "root", ["password"] = secrets[1] },
        }));
        var templateOf = await MachineTemplatesAsync(client, userDataBase64);
        var template = templateOf(secrets[2]);
        template["name"] = "mt";
        await Created(client.PostAsync("machineTemplates", template));
        // No host runs here, so the create fails, but the Machine and its resolved spec are stored first.
        var machine = await client.PostAsync("machines", new JsonObject { ["name"] = "m", ["machineTemplate"] = templateOf(secrets[3]) });
        Assert.True(machine.Code == 202, $"creating a Machine: {machine}");
        await client.WaitForJobAsync(machine.Header("CIMI-Job-URI")!);
        // An update that sends no password keeps the stored one: read, unsealed and sealed again.
        var updated = await client.PutAsync(credential, new JsonObject { ["name"] = "c2", ["userName"] = "root" });
        Assert.True(updated.Code == 200, $"updating the Credential: {updated}");

        var rows = await StorageRowsAsync(postgres);
        Assert.Contains(rows, r => r.Type.Contains("credential", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(rows, r => r.Type.Contains("machinegrain", StringComparison.OrdinalIgnoreCase) || r.Type.Contains("machine", StringComparison.OrdinalIgnoreCase));
        foreach (var (type, payload) in rows)
        {
            foreach (var secret in secrets) Assert.False(payload.Contains(secret), $"the {type} row holds the password {secret} in plaintext:\n{payload}");
            Assert.False(payload.Contains(userDataBase64) || payload.Contains("user-data-"), $"the {type} row holds the user-data in plaintext:\n{payload}");
        }
        var keyId = SecretKeyRing.IdOf(Convert.FromBase64String(GatewayProcess.SecretKey));
        // Template, Credential, MachineTemplate (password, user-data) and Machine (password, user-data).
        Assert.True(rows.Sum(r => Occurrences(r.Payload, $"{SecretProtector.Prefix}{keyId}:")) >= 6,
            $"expected sealed values under key {keyId}:\n{string.Join("\n", rows.Select(r => r.Payload))}");
    }

    [Fact]
    public async Task The_gateway_refuses_to_start_without_a_key_and_with_a_wrong_one_cannot_open_secrets_a_rotation_keeps_them()
    {
        var postgres = await TestDatabase.CreateAsync("rotation");
        var oldKey = Convert.ToBase64String(OldKey);
        var newKey = Convert.ToBase64String(NewKey);
        string credential;
        CimiClient client;
        await using (var first = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string> { ["CIMI_SECRET_KEY"] = oldKey }))
        {
            client = await Tenants.CreateAsync(first);
            // The path alone: the gateways after this one listen on other ports.
            credential = new Uri(await Created(client.PostAsync("credentials", new JsonObject
            {
                ["name"] = "c", ["credentialTemplate"] = new JsonObject { ["userName"] = "root", ["password"] = "rotation-pw-1" },
            }))).AbsolutePath;
            // A clean stop leaves the membership table saying so: the next silo need not wait out a dead one.
            await first.StopAsync();
        }
        var oldId = SecretKeyRing.IdOf(OldKey);
        var newId = SecretKeyRing.IdOf(NewKey);
        Assert.Contains(await StorageRowsAsync(postgres), r => r.Payload.Contains($"{SecretProtector.Prefix}{oldId}:"));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            GatewayProcess.StartAsync(postgres, new Dictionary<string, string> { ["CIMI_SECRET_KEY"] = "" }));
        Assert.Contains("CIMI_SECRET_KEY", refused.Message);

        await using (var wrong = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string> { ["CIMI_SECRET_KEY"] = newKey }))
        {
            using var c = wrong.Client(client.User, Tenants.Password);
            var read = await c.GetAsync(credential);
            Assert.True(read.Code >= 500, $"the Credential opened without its key: {read}");
            await Eventually.Until(() => Task.FromResult(wrong.Log), l => l.Contains(SecretKeyRing.PreviousKeysVariable),
                "the gateway to say which key is missing");
            Assert.DoesNotContain("rotation-pw-1", wrong.Log);
            await wrong.StopAsync();
        }

        await using (var rotated = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string>
        {
            ["CIMI_SECRET_KEY"] = newKey, ["CIMI_SECRET_PREVIOUS_KEYS"] = oldKey,
        }))
        {
            using var c = rotated.Client(client.User, Tenants.Password);
            var read = await c.GetAsync(credential);
            Assert.True(read.Code == 200, $"reading the Credential after the rotation: {read}");
            var updated = await c.PutAsync(credential, new JsonObject { ["name"] = "rewritten", ["userName"] = "root" });
            Assert.True(updated.Code == 200, $"rewriting the Credential: {updated}");
            await rotated.StopAsync();
        }
        var rows = await StorageRowsAsync(postgres);
        var row = Assert.Single(rows, r => r.Payload.Contains("rewritten"));
        Assert.Contains($"{SecretProtector.Prefix}{newId}:", row.Payload);
        Assert.DoesNotContain($"{SecretProtector.Prefix}{oldId}:", row.Payload);
    }

    [Fact]
    public async Task A_bulk_reseal_moves_every_secret_off_the_old_key_so_it_can_be_removed()
    {
        var postgres = await TestDatabase.CreateAsync("reseal");
        var oldKey = Convert.ToBase64String(OldKey);
        var newKey = Convert.ToBase64String(NewKey);
        var oldId = SecretKeyRing.IdOf(OldKey);
        var newId = SecretKeyRing.IdOf(NewKey);
        var legacyPassword = $"legacy-pw-{Guid.NewGuid():N}";
        CimiClient client;
        var resources = new List<string>();
        await using (var first = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string> { ["CIMI_SECRET_KEY"] = oldKey }))
        {
            client = await Tenants.CreateAsync(first);
            string Path(string url) => new Uri(url).AbsolutePath;
            resources.Add(Path(await Created(client.PostAsync("credentialTemplates", new JsonObject { ["name"] = "ct", ["userName"] = "root", ["password"] = "reseal-pw-0" }))));
            resources.Add(Path(await Created(client.PostAsync("credentials", new JsonObject
            {
                ["name"] = "c", ["credentialTemplate"] = new JsonObject { ["userName"] = "root", ["password"] = "reseal-pw-1" },
            }))));
            resources.Add(Path(await Created(client.PostAsync("credentials", new JsonObject
            {
                ["name"] = "legacy", ["credentialTemplate"] = new JsonObject { ["userName"] = "root", ["password"] = "reseal-pw-2" },
            }))));
            var templateOf = await MachineTemplatesAsync(client, Convert.ToBase64String(Encoding.UTF8.GetBytes("#!/bin/sh\necho reseal\n")));
            var template = templateOf("reseal-pw-3");
            template["name"] = "mt";
            resources.Add(Path(await Created(client.PostAsync("machineTemplates", template))));
            // No host runs here, so the create fails, but the Machine keeps its resolved spec (admin password, user-data).
            var machine = await client.PostAsync("machines", new JsonObject { ["name"] = "m", ["machineTemplate"] = templateOf("reseal-pw-4") });
            Assert.True(machine.Code == 202, $"creating a Machine: {machine}");
            await client.WaitForJobAsync(machine.Header("CIMI-Job-URI")!);
            resources.Add(Path(machine.Header("Location")!));
            await first.StopAsync();
        }
        // A row from before sealing existed: the "legacy" Credential's password in plaintext (no grain is active).
        await using (var connection = new NpgsqlConnection(postgres))
        {
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "UPDATE orleansstorage SET payloadbinary = convert_to(regexp_replace(convert_from(payloadbinary, 'UTF8'), " +
                "'\"Password\":\"cimi-sealed:v1:[^\"]*\"', '\"Password\":\"' || @pw || '\"'), 'UTF8') " +
                "WHERE graintypestring = 'credential' AND position(convert_to('\"legacy\"', 'UTF8') in payloadbinary) > 0", connection);
            cmd.Parameters.AddWithValue("pw", legacyPassword);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        Assert.Contains(await StorageRowsAsync(postgres), r => r.Payload.Contains(legacyPassword));

        await using (var rotated = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string>
        {
            ["CIMI_SECRET_KEY"] = newKey, ["CIMI_SECRET_PREVIOUS_KEYS"] = oldKey,
        }))
        {
            using (var tenant = rotated.Client(client.User, Tenants.Password))
            {
                var read = await tenant.GetAsync("/admin/secrets");
                Assert.True(read.Code == 403, $"a tenant user read the secrets report: {read}");
                var reseal = await tenant.PostAsync("/admin/secrets/reseal", new JsonObject());
                Assert.True(reseal.Code == 403, $"a tenant user started a re-seal: {reseal}");
            }
            using var admin = rotated.Admin();
            var before = await admin.GetAsync("/admin/secrets");
            Assert.True(before.Code == 200, before.ToString());
            Assert.Equal(newId, before.Json["currentKeyId"]!.GetValue<string>());
            // Template, two Credentials (one now plaintext), MachineTemplate (password, user-data), Machine (password, user-data).
            Assert.True(before.Json["sealedByKeyId"]![oldId]?.GetValue<int>() >= 5, before.ToString());
            Assert.True(before.Json["plaintext"]!.GetValue<int>() >= 1, before.ToString());

            var resealed = await admin.PostAsync("/admin/secrets/reseal", new JsonObject());
            Assert.True(resealed.Code == 200, resealed.ToString());
            Assert.Empty(resealed.Json["failed"]!.AsArray());
            Assert.True(resealed.Json["rewritten"]!.GetValue<int>() >= 5, resealed.ToString());
            Assert.False(resealed.Json["truncated"]!.GetValue<bool>(), resealed.ToString());

            var after = await admin.GetAsync("/admin/secrets");
            Assert.True(after.Code == 200, after.ToString());
            Assert.Null(after.Json["sealedByKeyId"]![oldId]);
            Assert.Equal(0, after.Json["underOldKeys"]!.GetValue<int>());
            Assert.Equal(0, after.Json["plaintext"]!.GetValue<int>());
            Assert.True(after.Json["sealedByKeyId"]![newId]!.GetValue<int>() >= 7, after.ToString());
            // Idempotent: a second run finds nothing to do.
            var again = await admin.PostAsync("/admin/secrets/reseal", new JsonObject());
            Assert.Equal(0, again.Json["rewritten"]!.GetValue<int>());
            await rotated.StopAsync();
        }
        var rows = await StorageRowsAsync(postgres);
        foreach (var (type, payload) in rows)
        {
            Assert.DoesNotContain($"{SecretProtector.Prefix}{oldId}:", payload);
            Assert.DoesNotContain(legacyPassword, payload);
        }

        // The old key is gone: every resource still opens (a sealed value it cannot open fails the read).
        await using var retired = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string> { ["CIMI_SECRET_KEY"] = newKey });
        using var c = retired.Client(client.User, Tenants.Password);
        foreach (var resource in resources)
        {
            var read = await c.GetAsync(resource);
            Assert.True(read.Code == 200, $"reading {resource} without the old key: {read}");
        }
        await retired.StopAsync();
    }

    [Fact]
    public void Every_marked_secret_is_sealed_by_the_storage_serializer_and_opens_again()
    {
        var serializer = Serializer(new SecretKeyRing(OldKey));
        var spec = new MachineSpec("docker:x", 1, 1024, "root", "spec-pw", "ssh-ed25519 AAA", "dXNlci1kYXRh", "t", true);
        var machine = serializer.Serialize(new MachineGrainState { Spec = spec });
        var credential = serializer.Serialize(new ResourceState<Credential> { Resource = new Credential { UserName = "root", Password = "cred-pw" } });
        var template = serializer.Serialize(new ResourceState<MachineTemplate>
        {
            Resource = new MachineTemplate { Credential = new Credential { UserName = "root", Password = "inline-pw" }, UserData = "dGVtcGxhdGU=" },
        });

        foreach (var (text, secrets) in new[]
        {
            (machine.ToString(), new[] { "spec-pw", "dXNlci1kYXRh" }),
            (credential.ToString(), new[] { "cred-pw" }),
            (template.ToString(), new[] { "inline-pw", "dGVtcGxhdGU=" }),
        })
        {
            foreach (var secret in secrets) Assert.DoesNotContain(secret, text);
            Assert.Contains(SecretProtector.Prefix + SecretKeyRing.IdOf(OldKey), text);
        }
        // What is not secret stays readable (the admin key is a public key).
        Assert.Contains("ssh-ed25519 AAA", machine.ToString());

        Assert.Equal(spec, serializer.Deserialize<MachineGrainState>(machine)!.Spec);
        Assert.Equal("cred-pw", serializer.Deserialize<ResourceState<Credential>>(credential)!.Resource!.Password);
        var readTemplate = serializer.Deserialize<ResourceState<MachineTemplate>>(template)!.Resource!;
        Assert.Equal("inline-pw", readTemplate.Credential!.Password);
        Assert.Equal("dGVtcGxhdGU=", readTemplate.UserData);
    }

    [Fact]
    public void After_a_rotation_old_rows_open_with_the_previous_key_and_each_write_uses_the_new_key()
    {
        var before = Serializer(new SecretKeyRing(OldKey));
        var row = before.Serialize(new ResourceState<Credential> { Resource = new Credential { UserName = "u", Password = "old-row-pw" } });

        var after = Serializer(new SecretKeyRing(NewKey, [OldKey]));
        var read = after.Deserialize<ResourceState<Credential>>(row)!;
        Assert.Equal("old-row-pw", read.Resource!.Password);
        var rewritten = after.Serialize(read).ToString();
        Assert.Contains(SecretProtector.Prefix + SecretKeyRing.IdOf(NewKey), rewritten);
        Assert.DoesNotContain(SecretKeyRing.IdOf(OldKey), rewritten);

        var withoutOld = Serializer(new SecretKeyRing(NewKey));
        var e = Assert.Throws<SecretUnsealException>(() => withoutOld.Deserialize<ResourceState<Credential>>(row));
        Assert.Contains(SecretKeyRing.IdOf(OldKey), e.Message);
        Assert.Contains(SecretKeyRing.PreviousKeysVariable, e.Message);
        Assert.DoesNotContain("old-row-pw", e.Message);
    }

    [Fact]
    public void A_sealed_value_opens_only_in_its_own_field_and_unaltered()
    {
        var protector = new SecretProtector(new SecretKeyRing(OldKey));
        var sealedPassword = protector.Seal("pw", "Credential.Password");
        Assert.Equal("pw", protector.Unseal(sealedPassword, "Credential.Password"));
        Assert.Throws<SecretUnsealException>(() => protector.Unseal(sealedPassword, "MachineSpec.UserData"));
        var bytes = Convert.FromBase64String(sealedPassword[(sealedPassword.LastIndexOf(':') + 1)..]);
        bytes[^1] ^= 1;
        var altered = sealedPassword[..(sealedPassword.LastIndexOf(':') + 1)] + Convert.ToBase64String(bytes);
        Assert.Throws<SecretUnsealException>(() => protector.Unseal(altered, "Credential.Password"));
        // Two seals of one secret differ (a fresh nonce each time): equal passwords do not show as equal rows.
        Assert.NotEqual(sealedPassword, protector.Seal("pw", "Credential.Password"));
    }

    [Fact]
    public void A_plaintext_row_from_before_sealing_is_read_and_sealed_on_its_next_write()
    {
        var plain = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));
        var legacy = plain.Serialize(new ResourceState<Credential> { Resource = new Credential { UserName = "u", Password = "legacy-pw" } });
        Assert.Contains("legacy-pw", legacy.ToString());

        var serializer = Serializer(new SecretKeyRing(NewKey));
        var read = serializer.Deserialize<ResourceState<Credential>>(legacy)!;
        Assert.Equal("legacy-pw", read.Resource!.Password);
        Assert.DoesNotContain("legacy-pw", serializer.Serialize(read).ToString());
    }

    [Theory]
    [InlineData(null, "Set CIMI_SECRET_KEY")]
    [InlineData("c2hvcnQ=", "32 bytes")]
    [InlineData("not base64!", "not base64")]
    public void The_key_ring_refuses_a_missing_short_or_malformed_key_without_echoing_it(string? key, string expected)
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            SecretKeyRing.FromEnvironment(name => name == SecretKeyRing.KeyVariable ? key : null));
        Assert.Contains(expected, e.Message);
        if (key is not null) Assert.DoesNotContain(key, e.Message);
    }

    [Fact]
    public void The_key_ring_reads_the_key_and_previous_keys_from_files()
    {
        var dir = Directory.CreateTempSubdirectory("cimi-keys-");
        try
        {
            var current = Path.Combine(dir.FullName, "key");
            var previous = Path.Combine(dir.FullName, "previous");
            File.WriteAllText(current, Convert.ToBase64String(NewKey) + "\n");
            File.WriteAllText(previous, "# rotated out on 2026-12-01\n" + Convert.ToBase64String(OldKey) + "\n");
            var ring = SecretKeyRing.FromEnvironment(name => name switch
            {
                SecretKeyRing.KeyFileVariable => current,
                SecretKeyRing.PreviousKeysFileVariable => previous,
                _ => null,
            });
            Assert.Equal(SecretKeyRing.IdOf(NewKey), ring.CurrentId);
            Assert.True(ring.TryGet(SecretKeyRing.IdOf(OldKey), out _));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static SystemTextJsonGrainStorageSerializer Serializer(SecretKeyRing keys)
    {
        var options = new SystemTextJsonGrainStorageSerializerOptions();
        SecretsAtRest.Apply(options.JsonSerializerOptions, new SecretProtector(keys));
        return new SystemTextJsonGrainStorageSerializer(Options.Create(options));
    }

    /// <summary>A MachineConfiguration and a MachineImage, and a MachineTemplate body over them with the given password and user-data.</summary>
    private static async Task<Func<string, JsonObject>> MachineTemplatesAsync(CimiClient client, string userDataBase64)
    {
        var config = await Created(client.PostAsync("machineConfigs", new JsonObject
        {
            ["name"] = "cfg", ["cpu"] = 1, ["memory"] = 65536, ["disks"] = new JsonArray(new JsonObject { ["capacity"] = 1048576 }),
        }));
        var image = await Created(client.PostAsync("machineImages", new JsonObject { ["name"] = "img", ["imageLocation"] = "docker:cimigrains/demo:latest" }));
        return password => new JsonObject
        {
            ["machineConfig"] = new JsonObject { ["href"] = config },
            ["machineImage"] = new JsonObject { ["href"] = image },
            ["credential"] = new JsonObject { ["userName"] = "root", ["password"] = password },
            ["userData"] = userDataBase64,
        };
    }

    private static async Task<string> Created(Task<CimiResponse> request)
    {
        var response = await request;
        Assert.True(response.Code == 201, $"creating: {response}");
        return response.Header("Location") ?? response.Json["id"]!.GetValue<string>();
    }

    /// <summary>Every grain state row as stored: its grain type and its payload as text.</summary>
    private static async Task<List<(string Type, string Payload)>> StorageRowsAsync(string postgres)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT graintypestring, payloadbinary FROM orleansstorage WHERE payloadbinary IS NOT NULL", connection);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), Encoding.UTF8.GetString((byte[])reader[1])));
        return rows;
    }

    private static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}
