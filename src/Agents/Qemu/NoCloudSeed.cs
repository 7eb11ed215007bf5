using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// What CIMI gave a Machine, as cloud-init's NoCloud seed: an ISO 9660 volume labelled <c>cidata</c>
/// holding <c>meta-data</c> and <c>user-data</c>, which real cloud images and the demo VM read at boot.
/// The mapping (docs/QEMU.md): the admin credential becomes a <c>#cloud-config</c> user; userData is
/// passed byte for byte; both together become a MIME multipart document, the credential's part first.
/// </summary>
public static class NoCloudSeed
{
    /// <summary>The user an admin credential without a user name is given.</summary>
    public const string DefaultAdminUser = "cimi";

    /// <summary>cloud-init's instance id (a new one makes it run its first-boot modules again) and hostname.</summary>
    public static string MetaData(string machineKey) =>
        $"instance-id: {machineKey.Replace('/', '-')}\nlocal-hostname: {HostnameFor(machineKey)}\n";

    /// <summary>The user-data for <paramref name="spec"/>; null when CIMI gave the Machine nothing.</summary>
    public static byte[]? UserData(WorkloadSpec spec)
    {
        var config = AdminConfig(spec);
        var consumer = MachineFiles.Of(spec).FirstOrDefault(f => f.Name == "user-data")?.Content;
        if (config is null) return consumer;
        if (consumer is null) return Encoding.UTF8.GetBytes(config);
        return Multipart(config, consumer);
    }

    /// <summary>The credential as cloud-config, or null without one. Strings are written as JSON strings,
    /// which YAML reads as double-quoted scalars: no password or key can break out of its field.</summary>
    public static string? AdminConfig(WorkloadSpec spec)
    {
        if (spec.AdminPassword is not { Length: > 0 } && spec.AdminKey is not { Length: > 0 }) return null;
        var text = new StringBuilder("#cloud-config\nusers:\n");
        text.Append("  - name: ").Append(Quote(spec.AdminUserName is { Length: > 0 } user ? user : DefaultAdminUser)).Append('\n');
        text.Append("    lock_passwd: false\n");
        if (spec.AdminPassword is { Length: > 0 } password) text.Append("    plain_text_passwd: ").Append(Quote(password)).Append('\n');
        if (spec.AdminKey is { Length: > 0 } key) text.Append("    ssh_authorized_keys:\n      - ").Append(Quote(key.Trim())).Append('\n');
        text.Append("ssh_pwauth: true\n");
        return text.ToString();
    }

    /// <summary>The type cloud-init gives the consumer's part: what its first line says it is.</summary>
    public static string ContentTypeOf(byte[] userData)
    {
        var start = Encoding.UTF8.GetString(userData, 0, Math.Min(userData.Length, 64));
        return start.StartsWith("#!", StringComparison.Ordinal) ? "text/x-shellscript"
            : start.StartsWith("#cloud-config", StringComparison.Ordinal) ? "text/cloud-config"
            : "text/plain";
    }

    private static byte[] Multipart(string config, byte[] consumer)
    {
        var consumerText = Encoding.UTF8.GetString(consumer);
        string boundary;
        do
        {
            boundary = "cimigrains-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        }
        while (config.Contains(boundary, StringComparison.Ordinal) || consumerText.Contains(boundary, StringComparison.Ordinal));
        using var document = new MemoryStream();
        void Write(string s) => document.Write(Encoding.UTF8.GetBytes(s));
        Write($"Content-Type: multipart/mixed; boundary=\"{boundary}\"\nMIME-Version: 1.0\n\n");
        Write($"--{boundary}\nContent-Type: text/cloud-config; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Disposition: attachment; filename=\"cimi-admin.cfg\"\n\n");
        Write(config);
        Write($"\n--{boundary}\nContent-Type: {ContentTypeOf(consumer)}\nMIME-Version: 1.0\nContent-Disposition: attachment; filename=\"user-data\"\n\n");
        document.Write(consumer);
        Write($"\n--{boundary}--\n");
        return document.ToArray();
    }

    /// <summary>Writes the seed ISO to <paramref name="isoPath"/> (genisoimage; the plain files exist only
    /// while it runs, in a directory of the agent's own).</summary>
    public static async Task WriteIsoAsync(string isoPath, string machineKey, WorkloadSpec spec, CancellationToken ct)
    {
        var source = Directory.CreateTempSubdirectory("cimi-seed-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(source.FullName, "meta-data"), MetaData(machineKey), ct);
            await File.WriteAllBytesAsync(Path.Combine(source.FullName, "user-data"), UserData(spec) ?? [], ct);
            await HostCommand.RunAsync("genisoimage",
                ["-quiet", "-output", isoPath, "-volid", "cidata", "-joliet", "-rock", Path.Combine(source.FullName, "meta-data"), Path.Combine(source.FullName, "user-data")],
                ct);
        }
        finally
        {
            source.Delete(recursive: true);
        }
    }

    /// <summary>The Docker driver's hostname rule, so a Machine has the same name whatever runs it.</summary>
    public static string HostnameFor(string machineKey)
    {
        var local = machineKey[(machineKey.IndexOf('/') + 1)..];
        var clean = new string(local.Where(char.IsAsciiLetterOrDigit).Take(12).ToArray()).ToLowerInvariant();
        return clean.Length > 0 ? "m-" + clean : "machine";
    }

    // Relaxed: only quotes, backslashes and control characters are escaped, so simple readers (the demo
    // VM's shell) see passwords and keys as written.
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Quote(string value) => JsonSerializer.Serialize(value, Relaxed);
}
