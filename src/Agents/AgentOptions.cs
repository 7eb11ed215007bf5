using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CimiGrains.Hosts;

namespace CimiGrains.Agents;

/// <summary>
/// The agent's whole configuration, from the environment (docs/AGENTS.md lists every variable).
/// </summary>
public sealed class AgentOptions
{
    /// <summary><c>CIMI_AGENT_HOST_ID</c>: this host's id in the cluster; defaults to the machine name.
    /// Several agents may share one container engine under distinct ids.</summary>
    public required string HostId { get; init; }

    /// <summary><c>CIMI_AGENT_CONTROLLERS</c>: comma-separated agent API URLs of the silos
    /// (<c>http://127.0.0.1:8081</c> for h2c, <c>https://…</c> for TLS). List every silo: they are tried in
    /// turn from a random one, and a broken session moves on to the next, so the agent fails over when
    /// the silo holding its stream dies.</summary>
    public required IReadOnlyList<Uri> Controllers { get; init; }

    /// <summary><c>CIMI_AGENT_SECRET</c>: the enrollment secret the silos expect.</summary>
    public required string Secret { get; init; }

    /// <summary><c>CIMI_AGENT_CPU</c>: CPUs offered to the scheduler; defaults to the processor count.</summary>
    public int Cpu { get; init; }

    /// <summary><c>CIMI_AGENT_MEMORY_KIB</c> (or <c>CIMI_AGENT_MEMORY</c>): memory offered, in KiB; defaults to MemTotal.</summary>
    public long MemoryKiB { get; init; }

    /// <summary><c>CIMI_AGENT_CPU_ALLOCATION_RATIO</c>: this host's own virtual CPUs per CPU, overriding the
    /// deployment's (<c>CIMI_CPU_ALLOCATION_RATIO</c> on the silos); null: the deployment's.</summary>
    public double? CpuAllocationRatio { get; init; }

    /// <summary><c>CIMI_AGENT_MEMORY_ALLOCATION_RATIO</c>: this host's own memory overcommit, overriding the
    /// deployment's (<c>CIMI_MEMORY_ALLOCATION_RATIO</c>); null: the deployment's.</summary>
    public double? MemoryAllocationRatio { get; init; }

    /// <summary><c>CIMI_AGENT_LABELS</c>: <c>key=value,key=value</c> describing the host to the scheduler.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary><c>CIMI_AGENT_CA</c>: a PEM file of the certificates to trust as roots for <c>https</c>
    /// controllers (the cluster's CA, or a self-signed controller certificate itself). When set, only
    /// these roots are trusted, not the system's.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>The certificates read from <see cref="CaCertificatePath"/> at start-up (a missing or
    /// unreadable file stops the agent at once rather than failing every connection).</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary><c>CIMI_AGENT_STATE_DIR</c>: where the agent keeps what must survive its restarts (the newest
    /// command generation per Machine); defaults to <c>~/.local/share/cimigrains-agent/{host id}</c>.
    /// One directory per host id: two agents must not share one.</summary>
    public required string StateDirectory { get; init; }

    /// <summary><c>CIMI_AGENT_STOP_TIMEOUT</c>: seconds between SIGTERM and SIGKILL on a graceful stop.</summary>
    public int StopTimeoutSeconds { get; init; } = 10;

    /// <summary>Seconds between two readings of every running Machine's counters (docs/METERS.md); 0 turns
    /// sampling off. CIMI_AGENT_SAMPLING_PERIOD.</summary>
    public int SamplingPeriodSeconds { get; init; } = 1;

    /// <summary><c>CIMI_AGENT_TENANT_OUTBOUND</c>: whether containers on a tenant's network may open
    /// connections beyond this host (<see cref="TenantOutbound.Nat"/>) or not at all
    /// (<see cref="TenantOutbound.None"/>, an internal network). Either way containers of
    /// different tenants cannot reach each other.</summary>
    public TenantOutbound TenantOutbound { get; init; } = TenantOutbound.None;

    /// <summary><c>CIMI_AGENT_PIDS_LIMIT</c>: the most processes (and threads) one container may have, so a
    /// fork bomb in one Machine cannot exhaust the host's PIDs; 0 = unlimited.</summary>
    public long PidsLimit { get; init; } = DefaultPidsLimit;

    /// <summary><c>CIMI_AGENT_NO_NEW_PRIVILEGES</c>: <c>no-new-privileges</c> on every container, so setuid
    /// binaries and file capabilities cannot raise a process above what it started with.</summary>
    public bool NoNewPrivileges { get; init; } = true;

    /// <summary><c>CIMI_AGENT_CAPABILITIES</c>: the Linux capabilities a container keeps (all others are
    /// dropped); <c>none</c> keeps none. Defaults to <see cref="DefaultCapabilities"/>.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = DefaultCapabilities;

    /// <summary><c>CIMI_AGENT_UNDERLAY_ADDRESS</c>: this host's VXLAN endpoint, the address other hosts reach it at
    /// for Networks' traffic; unset: the host offers no Networks (docs/NETWORKS.md).</summary>
    public string? UnderlayAddress { get; init; }

    /// <summary><c>CIMI_AGENT_UNDERLAY_DEVICE</c>: the device VXLAN traffic leaves by; unset: the routes decide.</summary>
    public string? UnderlayDevice { get; init; }

    /// <summary><c>CIMI_AGENT_EXTERNAL_DEVICE</c>: the device PUBLIC Networks are masqueraded out of; unset: the default route's.</summary>
    public string? ExternalDevice { get; init; }

    /// <summary><c>CIMI_AGENT_NETWORK_NAMESPACE</c>: a named network namespace the network plane builds in; unset: the agent's own.</summary>
    public string? NetworkNamespace { get; init; }

    public const long DefaultPidsLimit = 256;

    /// <summary>
    /// The container engines' usual default set minus NET_RAW (raw sockets: ARP and IP spoofing on the tenant's bridge; ping
    /// still works through ICMP datagram sockets), MKNOD (device nodes) and SETFCAP (granting file
    /// capabilities). What is kept is what an init and typical services need to run as root and drop to
    /// other users: file ownership and permissions, setuid/setgid, signals, ports below 1024, chroot (sshd's
    /// privilege separation), capability dropping (SETPCAP) and audit records (login, sshd).
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultCapabilities =
    [
        "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "NET_BIND_SERVICE", "SYS_CHROOT", "AUDIT_WRITE",
    ];

    public static AgentOptions FromEnvironment()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;
        static T Parse<T>(string name, string value, Func<string, (bool, T)> parse)
        {
            var (ok, result) = parse(value);
            return ok ? result : throw new InvalidOperationException($"{name}='{value}' is not valid.");
        }
        var controllers = (Env("CIMI_AGENT_CONTROLLERS") ?? throw new InvalidOperationException("Set CIMI_AGENT_CONTROLLERS (comma-separated agent API URLs)."))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new InvalidOperationException($"CIMI_AGENT_CONTROLLERS: '{u}' is not an http(s) URL."))
            .ToList();
        var labels = (Env("CIMI_AGENT_LABELS") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2) is [var k, var v] && k.Length > 0
                ? (k.Trim(), v.Trim())
                : throw new InvalidOperationException($"CIMI_AGENT_LABELS: '{pair}' is not key=value."))
            .ToDictionary(p => p.Item1, p => p.Item2);
        var memory = Env("CIMI_AGENT_MEMORY_KIB") ?? Env("CIMI_AGENT_MEMORY");
        var hostId = Env("CIMI_AGENT_HOST_ID") ?? Environment.MachineName;
        return new AgentOptions
        {
            HostId = hostId,
            Controllers = controllers,
            Secret = Env("CIMI_AGENT_SECRET") ?? throw new InvalidOperationException("Set CIMI_AGENT_SECRET (the cluster's enrollment secret)."),
            Cpu = Env("CIMI_AGENT_CPU") is { } cpu
                ? Parse("CIMI_AGENT_CPU", cpu, v => (int.TryParse(v, out var n) && n > 0, n))
                : Environment.ProcessorCount,
            MemoryKiB = memory is { } m
                ? Parse("CIMI_AGENT_MEMORY_KIB", m, v => (long.TryParse(v, out var n) && n > 0, n))
                : TotalMemoryKiB(),
            Labels = labels,
            CpuAllocationRatio = Env("CIMI_AGENT_CPU_ALLOCATION_RATIO") is { } cpuRatio
                ? AllocationRatio.Parse("CIMI_AGENT_CPU_ALLOCATION_RATIO", cpuRatio) : null,
            MemoryAllocationRatio = Env("CIMI_AGENT_MEMORY_ALLOCATION_RATIO") is { } memoryRatio
                ? AllocationRatio.Parse("CIMI_AGENT_MEMORY_ALLOCATION_RATIO", memoryRatio) : null,
            CaCertificatePath = Env("CIMI_AGENT_CA"),
            TrustedRoots = Env("CIMI_AGENT_CA") is { } ca ? ReadRoots(ca) : null,
            StateDirectory = Path.GetFullPath(Env("CIMI_AGENT_STATE_DIR") ?? Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
                "cimigrains-agent", hostId)),
            StopTimeoutSeconds = Env("CIMI_AGENT_STOP_TIMEOUT") is { } t
                ? Parse("CIMI_AGENT_STOP_TIMEOUT", t, v => (int.TryParse(v, out var n) && n >= 0, n))
                : 10,
            SamplingPeriodSeconds = Env("CIMI_AGENT_SAMPLING_PERIOD") is { } period
                ? Parse("CIMI_AGENT_SAMPLING_PERIOD", period, v => (int.TryParse(v, out var n) && n is >= 0 and <= 3600, n))
                : 1,
            TenantOutbound = Env("CIMI_AGENT_TENANT_OUTBOUND") is { } outbound
                ? Parse("CIMI_AGENT_TENANT_OUTBOUND", outbound, v => v.ToLowerInvariant() switch
                {
                    "none" => (true, TenantOutbound.None),
                    "nat" => (true, TenantOutbound.Nat),
                    _ => (false, TenantOutbound.None),
                })
                : TenantOutbound.None,
            PidsLimit = Env("CIMI_AGENT_PIDS_LIMIT") is { } pids
                ? Parse("CIMI_AGENT_PIDS_LIMIT", pids, v => (long.TryParse(v, out var n) && n >= 0, n))
                : DefaultPidsLimit,
            NoNewPrivileges = Env("CIMI_AGENT_NO_NEW_PRIVILEGES") is { } nnp
                ? Parse("CIMI_AGENT_NO_NEW_PRIVILEGES", nnp, v => v.ToLowerInvariant() switch
                {
                    "true" or "1" or "yes" => (true, true),
                    "false" or "0" or "no" => (true, false),
                    _ => (false, false),
                })
                : true,
            Capabilities = Env("CIMI_AGENT_CAPABILITIES") is { } caps ? ParseCapabilities(caps) : DefaultCapabilities,
            UnderlayAddress = Env("CIMI_AGENT_UNDERLAY_ADDRESS") is { } underlay
                ? Parse("CIMI_AGENT_UNDERLAY_ADDRESS", underlay, v => (System.Net.IPAddress.TryParse(v, out var a) && !v.Contains('/'), a?.ToString() ?? "")) : null,
            UnderlayDevice = Env("CIMI_AGENT_UNDERLAY_DEVICE") is { } underlayDevice ? Parse("CIMI_AGENT_UNDERLAY_DEVICE", underlayDevice, DeviceName) : null,
            ExternalDevice = Env("CIMI_AGENT_EXTERNAL_DEVICE") is { } external ? Parse("CIMI_AGENT_EXTERNAL_DEVICE", external, DeviceName) : null,
            NetworkNamespace = Env("CIMI_AGENT_NETWORK_NAMESPACE") is { } netns
                ? Parse("CIMI_AGENT_NETWORK_NAMESPACE", netns, v => (v.Length <= 64 && v.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && v[0] != '.', v)) : null,
        };
    }

    /// <summary>A network device's name as the kernel takes it (1–15 of A-Za-z0-9_.-).</summary>
    private static (bool, string) DeviceName(string v) =>
        (v.Length is >= 1 and <= 15 && v.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && v is not ("." or ".."), v);

    /// <summary>Comma-separated capability names, with or without <c>CAP_</c>; <c>none</c> for none. ALL is
    /// refused: it would make every container nearly as strong as the host's root.</summary>
    private static List<string> ParseCapabilities(string value)
    {
        if (value.Equals("none", StringComparison.OrdinalIgnoreCase)) return [];
        var names = new List<string>();
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = item.ToUpperInvariant();
            if (name.StartsWith("CAP_", StringComparison.Ordinal)) name = name[4..];
            if (name.Length is 0 or > 32 || !name.All(c => c is >= 'A' and <= 'Z' or '_' or >= '0' and <= '9') || name == "ALL")
                throw new InvalidOperationException($"CIMI_AGENT_CAPABILITIES: '{item}' is not a capability name (for instance CHOWN,SETUID; or none).");
            if (!names.Contains(name)) names.Add(name);
        }
        return names;
    }

    private static X509Certificate2Collection ReadRoots(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException($"CIMI_AGENT_CA='{path}' cannot be read as PEM certificates: {e.Message}");
        }
        return roots.Count > 0 ? roots : throw new InvalidOperationException($"CIMI_AGENT_CA='{path}' holds no PEM certificate.");
    }

    /// <summary>MemTotal from /proc/meminfo (in kB, which the kernel means as KiB).</summary>
    private static long TotalMemoryKiB()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
            var digits = new string(line.Where(char.IsAsciiDigit).ToArray());
            if (long.TryParse(digits, out var kib)) return kib;
        }
        throw new InvalidOperationException("Cannot read MemTotal from /proc/meminfo; set CIMI_AGENT_MEMORY_KIB.");
    }
}
