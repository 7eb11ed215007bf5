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
/// A Machine on CIMI Networks gets a <c>network-config</c> too (<see cref="NetworkConfig"/>): its addresses are
/// the cluster's, given statically, so the guest needs no DHCP server on the host (docs/NETWORKS.md, "Drivers").
/// </summary>
public static class NoCloudSeed
{
    /// <summary>The user an admin credential without a user name is given.</summary>
    public const string DefaultAdminUser = "cimi";

    /// <summary>cloud-init's instance id (a new one makes it run its first-boot modules again) and hostname.</summary>
    public static string MetaData(string machineKey) =>
        $"instance-id: {machineKey.Replace('/', '-')}\nlocal-hostname: {HostnameFor(machineKey)}\n";

    /// <summary>
    /// cloud-init's network configuration version 2 (netplan's schema) for the interfaces, or null without any: each
    /// an <c>ethernets</c> entry matched by its MAC (the one thing the guest and the host agree on: the guest's kernel
    /// names its NICs in its own order), renamed to the interface's name, with its static addresses, its default
    /// route (<c>0.0.0.0/0</c> or <c>::/0</c> via the gateway, the spelling every cloud-init version reads), its DNS
    /// servers and its MTU. Values are JSON strings (YAML reads them as double-quoted scalars).
    /// </summary>
    public static string? NetworkConfig(IReadOnlyList<Networks.NetworkPlaneInterface>? interfaces)
    {
        if (interfaces is not { Count: > 0 }) return null;
        var text = new StringBuilder("version: 2\nethernets:\n");
        foreach (var nic in interfaces)
        {
            text.Append("  ").Append(Quote(nic.Name)).Append(":\n");
            text.Append("    match:\n      macaddress: ").Append(Quote(nic.Mac)).Append('\n');
            text.Append("    set-name: ").Append(Quote(nic.Name)).Append('\n');
            text.Append("    dhcp4: false\n    dhcp6: false\n");
            if (nic.Addresses.Count > 0) text.Append("    addresses: [").AppendJoin(", ", nic.Addresses.Select(Quote)).Append("]\n");
            if (nic.Gateway is { } gateway)
            {
                var to = gateway.Contains(':') ? "::/0" : "0.0.0.0/0";
                text.Append("    routes:\n      - to: ").Append(Quote(to)).Append("\n        via: ").Append(Quote(gateway)).Append('\n');
            }
            if (nic.Dns.Count > 0) text.Append("    nameservers:\n      addresses: [").AppendJoin(", ", nic.Dns.Select(Quote)).Append("]\n");
            if (nic.Mtu > 0) text.Append("    mtu: ").Append(nic.Mtu.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
        return text.ToString();
    }

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
            List<string> files = [Path.Combine(source.FullName, "meta-data"), Path.Combine(source.FullName, "user-data")];
            if (NetworkConfig(spec.NetworkInterfaces) is { } network)
            {
                await File.WriteAllTextAsync(Path.Combine(source.FullName, "network-config"), network, ct);
                files.Add(Path.Combine(source.FullName, "network-config"));
            }
            await HostCommand.RunAsync("genisoimage", ["-quiet", "-output", isoPath, "-volid", "cidata", "-joliet", "-rock", .. files], ct);
        }
        finally
        {
            source.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The seed at <paramref name="isoPath"/> written again with a network-config for <paramref name="interfaces"/> (none:
    /// without one), its meta-data and user-data kept byte for byte: they are read back from the seed itself (Joliet
    /// names, isoinfo), as the agent keeps no other copy of a Machine's credential and userData. Replaced atomically.
    /// </summary>
    public static async Task RewriteNetworkConfigAsync(string isoPath, IReadOnlyList<Networks.NetworkPlaneInterface> interfaces, CancellationToken ct)
    {
        var source = Directory.CreateTempSubdirectory("cimi-seed-");
        try
        {
            List<string> files = [];
            foreach (var name in new[] { "meta-data", "user-data" })
            {
                var file = Path.Combine(source.FullName, name);
                await ExtractAsync(isoPath, name, file, ct);
                files.Add(file);
            }
            if (NetworkConfig(interfaces) is { } network)
            {
                await File.WriteAllTextAsync(Path.Combine(source.FullName, "network-config"), network, ct);
                files.Add(Path.Combine(source.FullName, "network-config"));
            }
            var temp = isoPath + ".new";
            await HostCommand.RunAsync("genisoimage", ["-quiet", "-output", temp, "-volid", "cidata", "-joliet", "-rock", .. files], ct);
            File.Move(temp, isoPath, overwrite: true);
        }
        finally
        {
            source.Delete(recursive: true);
        }
    }

    /// <summary>One file of the seed, its bytes as they are (user-data may be gzip), into <paramref name="destination"/>.</summary>
    private static async Task ExtractAsync(string isoPath, string name, string destination, CancellationToken ct)
    {
        var info = new System.Diagnostics.ProcessStartInfo("isoinfo", ["-i", isoPath, "-J", "-x", "/" + name])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.Environment["LC_ALL"] = "C";
        using var process = System.Diagnostics.Process.Start(info) ?? throw new DriverException("isoinfo cannot be run on this host.");
        var error = process.StandardError.ReadToEndAsync(ct);
        await using (var file = File.Create(destination)) await process.StandardOutput.BaseStream.CopyToAsync(file, ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new DriverException($"isoinfo could not read {name} from the seed {isoPath} (exit {process.ExitCode}): {(await error).Trim()}");
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
