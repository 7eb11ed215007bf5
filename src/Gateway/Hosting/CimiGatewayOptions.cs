using System.Net;
using Npgsql;

namespace CimiGrains.Gateway.Hosting;

/// <summary>
/// Everything an operator sets, bound from configuration by the README's names (<c>CIMI_*</c>, "Configuration"):
/// the environment, or the same keys on the command line (<c>--CIMI_HTTP_PORT=8090</c>). A value that
/// cannot be used stops the gateway at start with one line naming the setting (<see cref="Problem"/>);
/// <see cref="ToString"/> is the effective configuration with every secret redacted, safe to log.
/// </summary>
public sealed class CimiGatewayOptions
{
    /// <summary>Npgsql connection string (<c>CIMI_POSTGRES</c>).</summary>
    public string Postgres { get; init; } = "Host=127.0.0.1;Port=5432;Username=postgres;Database=cimigrains";

    public int HttpPort { get; init; } = 8080;
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;

    /// <summary>Address the silo advertises to its peers; loopback unless set.</summary>
    public string AdvertisedAddress { get; init; } = "127.0.0.1";

    public string ClusterId { get; init; } = "cimigrains";

    /// <summary>The baseURI to publish instead of the one derived from each request (behind a proxy).</summary>
    public string? PublicBaseUri { get; init; }

    /// <summary>When set, the operator account <c>admin</c> gets this password at start-up.</summary>
    public string? AdminPassword { get; init; }

    /// <summary>When set, a demo tenant with user <c>demo</c> and this password is ensured at start-up.</summary>
    public string? DemoPassword { get; init; }

    /// <summary>The image location the demo MachineImage points at.</summary>
    public string DemoImage { get; init; } = "docker:cimigrains/demo:latest";

    /// <summary>
    /// The image location of the demo VM (<c>CIMI_DEMO_VM_IMAGE</c>): a public image, and the demo tenant's
    /// MachineImage and MachineTemplate <c>demo-vm</c>. <c>qemu:demo-vm</c> is the directory run.sh builds
    /// with scripts/demo-vm.sh into the agent's QEMU image store; set empty to offer no demo VM (null).
    /// </summary>
    public string? DemoVmImage { get; init; } = DefaultDemoVmImage;

    /// <summary>The default of <see cref="DemoVmImage"/>.</summary>
    public const string DefaultDemoVmImage = "qemu:demo-vm";

    /// <summary>
    /// Further public images every tenant may name in a MachineImage besides <see cref="DemoImage"/>
    /// (<c>CIMI_PUBLIC_IMAGES</c>, comma-separated exact references such as <c>docker:debian:12</c>).
    /// </summary>
    public IReadOnlyList<string> PublicImages { get; init; } = [];

    /// <summary>Hours Meter samples are kept (<c>CIMI_METER_RETENTION_HOURS</c>, docs/METERS.md); at least the partition width.</summary>
    public int MeterRetentionHours { get; init; } = 7 * 24;

    /// <summary>Hours one partition of the samples table covers (<c>CIMI_METER_PARTITION_HOURS</c>: 1, 2, 3, 4, 6, 8, 12 or 24).</summary>
    public int MeterPartitionHours { get; init; } = 24;

    /// <summary>The agents' sampling period in seconds (<c>CIMI_METER_SAMPLING_PERIOD</c>, as the agents'
    /// <c>CIMI_AGENT_SAMPLING_PERIOD</c>): the shortest sampleInterval a Meter may ask for.</summary>
    public int MeterSamplingPeriodSeconds { get; init; } = 1;

    /// <summary>Minutes a finished Job is kept (<c>CIMI_JOB_RETENTION_MINUTES</c>); -1 keeps Jobs until deleted.</summary>
    public long JobRetentionMinutes { get; init; } = 24 * 60;

    /// <summary>Days an event is kept in the EventLogs (<c>CIMI_EVENT_RETENTION_DAYS</c>); -1 keeps events forever.</summary>
    public long EventRetentionDays { get; init; } = 30;

    /// <summary>
    /// Seconds a newly started scheduler lets creates wait for hosts whose agents are still connecting
    /// (<c>CIMI_HOST_RECONNECT_GRACE_SECONDS</c>); 0 fails them at once.
    /// </summary>
    public int HostReconnectGraceSeconds { get; init; } = 30;

    /// <summary>Seconds a System member may refuse its delete before the System's delete fails naming it
    /// (<c>CIMI_SYSTEM_MEMBER_REFUSAL_SECONDS</c>).</summary>
    public int SystemMemberRefusalSeconds { get; init; } = 60;

    /// <summary>Seconds a Volume reservation may stay unconfirmed before the Volume asks its Machine whether it still
    /// holds it, and drops it if not (<c>CIMI_VOLUME_RESERVATION_SECONDS</c>).</summary>
    public int VolumeReservationSeconds { get; init; } = (int)new CimiGrains.Grains.Volumes.VolumeOptions().ReservationTimeout.TotalSeconds;

    /// <summary>Virtual CPUs per host CPU (<c>CIMI_CPU_ALLOCATION_RATIO</c>); a host's agent may set its own.</summary>
    public double CpuAllocationRatio { get; init; } = CimiGrains.Grains.Hosts.HostSchedulingOptions.DefaultCpuAllocationRatio;

    /// <summary>Memory promised per KiB of host memory (<c>CIMI_MEMORY_ALLOCATION_RATIO</c>); a host's agent may set its own.</summary>
    public double MemoryAllocationRatio { get; init; } = CimiGrains.Grains.Hosts.HostSchedulingOptions.DefaultMemoryAllocationRatio;

    /// <summary>Connections of the read model's pool (<c>CIMI_READ_MODEL_POOL_SIZE</c>); three per core unless set.</summary>
    public int ReadModelPoolSize { get; init; } = Math.Max(4, 3 * Environment.ProcessorCount);

    /// <summary>Largest request body accepted, in bytes.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Address the CIMI API listens on (<c>CIMI_HTTP_ADDRESS</c>); loopback unless set.</summary>
    public string HttpAddress { get; init; } = "127.0.0.1";

    /// <summary>PEM certificate (or PKCS#12 <c>.pfx</c>/<c>.p12</c>) for HTTPS on the CIMI port (<c>CIMI_HTTPS_CERT</c>).</summary>
    public string? HttpsCertificatePath { get; init; }

    /// <summary>PEM private key of <see cref="HttpsCertificatePath"/> (<c>CIMI_HTTPS_KEY</c>); not used with a PKCS#12 file.</summary>
    public string? HttpsKeyPath { get; init; }

    /// <summary>Password of an encrypted PEM key or PKCS#12 file (<c>CIMI_HTTPS_CERT_PASSWORD</c>).</summary>
    public string? HttpsCertificatePassword { get; init; }

    /// <summary>Lets the CIMI API serve plain HTTP on an address other than loopback (<c>CIMI_ALLOW_PLAIN_HTTP</c>).</summary>
    public bool AllowPlainHttp { get; init; }

    /// <summary>Failed logins of one user from one source address per window (<c>CIMI_LOGIN_FAILURES_PER_USER_SOURCE</c>).</summary>
    public int LoginFailuresPerUserAndSource { get; init; } = 10;

    /// <summary>Failed logins from one source address, any user, per window (<c>CIMI_LOGIN_FAILURES_PER_SOURCE</c>).</summary>
    public int LoginFailuresPerSource { get; init; } = 100;

    /// <summary>Failed logins of one user, any source, per window, before sources that failed for it wait (<c>CIMI_LOGIN_FAILURES_PER_USER</c>).</summary>
    public int LoginFailuresPerUser { get; init; } = 50;

    /// <summary>Seconds over which a full throttle bucket drains (<c>CIMI_LOGIN_THROTTLE_WINDOW_SECONDS</c>).</summary>
    public int LoginThrottleWindowSeconds { get; init; } = 900;

    /// <summary>Reverse proxies whose X-Forwarded-For is believed (<c>CIMI_TRUSTED_PROXIES</c>, <see cref="Hosting.TrustedProxies"/>).</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>
    /// <c>CIMI_PUBLIC_IMAGES</c> parsed: each entry must be an exact image location (for docker a tag or a
    /// full sha256 id), so a typo cannot publish images by prefix.
    /// </summary>
    private static IReadOnlyList<string> PublicImageList(string? value)
    {
        var entries = (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var entry in entries)
        {
            if (!CimiGrains.Hosts.ImageLocation.TryParse(entry, out _, out var problem))
                throw new InvalidOperationException($"Public image '{entry}' (CIMI_DEMO_IMAGE, CIMI_PUBLIC_IMAGES): {problem}");
        }
        return entries;
    }

    /// <summary><c>CIMI_DEMO_VM_IMAGE</c> read: one exact image location, in its canonical form.</summary>
    private static string DemoVmImageLocation(string value) =>
        CimiGrains.Hosts.ImageLocation.TryParse(value, out var location, out var problem)
            ? location!.ToString()
            : throw new InvalidOperationException($"CIMI_DEMO_VM_IMAGE: {problem} Set it empty to offer no demo VM.");

    /// <summary>
    /// Every image location the provider offers to all tenants: <see cref="DemoImage"/>, <see cref="DemoVmImage"/>
    /// when set, then <see cref="PublicImages"/>.
    /// </summary>
    public IReadOnlyList<string> AllPublicImages =>
        [DemoImage, .. DemoVmImage is { } vm ? [vm] : Array.Empty<string>(), .. PublicImages];

    /// <summary>The options from the process environment alone.</summary>
    public static CimiGatewayOptions FromEnvironment() =>
        FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build());

    /// <summary>
    /// The options bound from <paramref name="configuration"/>, keyed by the <c>CIMI_*</c> names; an empty
    /// value counts as unset. Throws <see cref="InvalidOperationException"/> naming the first setting
    /// whose value cannot be used.
    /// </summary>
    public static CimiGatewayOptions FromConfiguration(IConfiguration configuration)
    {
        string? Env(string name) => configuration[name] is { Length: > 0 } v ? v : null;
        int Port(string name, int fallback) =>
            Env(name) is { } v ? (int.TryParse(v, out var p) && p is > 0 and < 65536 ? p : throw new InvalidOperationException($"{name}='{v}' is not a TCP port.")) : fallback;
        int Positive(string name, int fallback) =>
            Env(name) is { } v ? (int.TryParse(v, out var n) && n > 0 ? n : throw new InvalidOperationException($"{name}='{v}' is not a positive number.")) : fallback;
        var defaults = new CimiGatewayOptions();
        var options = new CimiGatewayOptions
        {
            Postgres = Env("CIMI_POSTGRES") ?? defaults.Postgres,
            HttpPort = Port("CIMI_HTTP_PORT", defaults.HttpPort),
            SiloPort = Port("CIMI_SILO_PORT", defaults.SiloPort),
            GatewayPort = Port("CIMI_GATEWAY_PORT", defaults.GatewayPort),
            AdvertisedAddress = Env("CIMI_ADVERTISED_ADDRESS") ?? defaults.AdvertisedAddress,
            ClusterId = Env("CIMI_CLUSTER_ID") ?? defaults.ClusterId,
            PublicBaseUri = Env("CIMI_PUBLIC_BASE_URI"),
            AdminPassword = Env("CIMI_ADMIN_PASSWORD"),
            DemoPassword = Env("CIMI_DEMO_PASSWORD"),
            DemoImage = PublicImageList(Env("CIMI_DEMO_IMAGE")).SingleOrDefault() ?? defaults.DemoImage,
            // Unlike the other settings an empty value is not "unset": it turns the demo VM off.
            DemoVmImage = configuration["CIMI_DEMO_VM_IMAGE"] is { } vm
                ? (vm.Trim().Length == 0 ? null : DemoVmImageLocation(vm))
                : defaults.DemoVmImage,
            PublicImages = PublicImageList(Env("CIMI_PUBLIC_IMAGES")),
            ReadModelPoolSize = Env("CIMI_READ_MODEL_POOL_SIZE") is { } pool
                ? (int.TryParse(pool, out var size) && size > 0 ? size
                    : throw new InvalidOperationException($"CIMI_READ_MODEL_POOL_SIZE='{pool}' is not a positive number."))
                : defaults.ReadModelPoolSize,
            HostReconnectGraceSeconds = Env("CIMI_HOST_RECONNECT_GRACE_SECONDS") is { } grace
                ? (int.TryParse(grace, out var seconds) && seconds >= 0 ? seconds
                    : throw new InvalidOperationException($"CIMI_HOST_RECONNECT_GRACE_SECONDS='{grace}' is not a number of seconds."))
                : defaults.HostReconnectGraceSeconds,
            CpuAllocationRatio = Env("CIMI_CPU_ALLOCATION_RATIO") is { } cpuRatio
                ? CimiGrains.Hosts.AllocationRatio.Parse("CIMI_CPU_ALLOCATION_RATIO", cpuRatio) : defaults.CpuAllocationRatio,
            MemoryAllocationRatio = Env("CIMI_MEMORY_ALLOCATION_RATIO") is { } memoryRatio
                ? CimiGrains.Hosts.AllocationRatio.Parse("CIMI_MEMORY_ALLOCATION_RATIO", memoryRatio) : defaults.MemoryAllocationRatio,
            SystemMemberRefusalSeconds = Env("CIMI_SYSTEM_MEMBER_REFUSAL_SECONDS") is { } refusal
                ? (int.TryParse(refusal, out var refusalSeconds) && refusalSeconds is >= 1 and <= 86_400 ? refusalSeconds
                    : throw new InvalidOperationException($"CIMI_SYSTEM_MEMBER_REFUSAL_SECONDS='{refusal}' is not a number of seconds from 1 to 86400."))
                : defaults.SystemMemberRefusalSeconds,
            VolumeReservationSeconds = Env("CIMI_VOLUME_RESERVATION_SECONDS") is { } reservation
                ? (int.TryParse(reservation, out var reservationSeconds) && reservationSeconds is >= 1 and <= 86_400 ? reservationSeconds
                    : throw new InvalidOperationException($"CIMI_VOLUME_RESERVATION_SECONDS='{reservation}' is not a number of seconds from 1 to 86400."))
                : defaults.VolumeReservationSeconds,
            JobRetentionMinutes = Env("CIMI_JOB_RETENTION_MINUTES") is { } r
                ? (long.TryParse(r, out var minutes) && minutes >= -1 ? minutes
                    : throw new InvalidOperationException($"CIMI_JOB_RETENTION_MINUTES='{r}' is not a number of minutes (or -1 to keep Jobs)."))
                : defaults.JobRetentionMinutes,
            MeterRetentionHours = Env("CIMI_METER_RETENTION_HOURS") is { } meterRetention
                ? (int.TryParse(meterRetention, out var hours) && hours >= 1 ? hours
                    : throw new InvalidOperationException($"CIMI_METER_RETENTION_HOURS='{meterRetention}' is not a number of hours (at least 1)."))
                : defaults.MeterRetentionHours,
            MeterPartitionHours = Env("CIMI_METER_PARTITION_HOURS") is { } partition
                ? (int.TryParse(partition, out var width) && width is >= 1 and <= 24 && 24 % width == 0 ? width
                    : throw new InvalidOperationException($"CIMI_METER_PARTITION_HOURS='{partition}' must be 1, 2, 3, 4, 6, 8, 12 or 24."))
                : defaults.MeterPartitionHours,
            MeterSamplingPeriodSeconds = Env("CIMI_METER_SAMPLING_PERIOD") is { } period
                ? (int.TryParse(period, out var periodSeconds) && periodSeconds is >= 1 and <= 3600 ? periodSeconds
                    : throw new InvalidOperationException($"CIMI_METER_SAMPLING_PERIOD='{period}' is not a number of seconds from 1 to 3600."))
                : defaults.MeterSamplingPeriodSeconds,
            EventRetentionDays = Env("CIMI_EVENT_RETENTION_DAYS") is { } er
                ? (long.TryParse(er, out var days) && (days >= 1 || days == -1) && days <= 36_500 ? days
                    : throw new InvalidOperationException($"CIMI_EVENT_RETENTION_DAYS='{er}' is not a number of days from 1 to 36500 (or -1 to keep events)."))
                : defaults.EventRetentionDays,
            HttpAddress = Env("CIMI_HTTP_ADDRESS") ?? defaults.HttpAddress,
            HttpsCertificatePath = Env("CIMI_HTTPS_CERT"),
            HttpsKeyPath = Env("CIMI_HTTPS_KEY"),
            HttpsCertificatePassword = Env("CIMI_HTTPS_CERT_PASSWORD"),
            AllowPlainHttp = Env("CIMI_ALLOW_PLAIN_HTTP") is { } plain
                ? (bool.TryParse(plain, out var allow) ? allow : throw new InvalidOperationException($"CIMI_ALLOW_PLAIN_HTTP='{plain}' is not true or false."))
                : defaults.AllowPlainHttp,
            LoginFailuresPerUserAndSource = Positive("CIMI_LOGIN_FAILURES_PER_USER_SOURCE", defaults.LoginFailuresPerUserAndSource),
            LoginFailuresPerSource = Positive("CIMI_LOGIN_FAILURES_PER_SOURCE", defaults.LoginFailuresPerSource),
            LoginFailuresPerUser = Positive("CIMI_LOGIN_FAILURES_PER_USER", defaults.LoginFailuresPerUser),
            LoginThrottleWindowSeconds = Positive("CIMI_LOGIN_THROTTLE_WINDOW_SECONDS", defaults.LoginThrottleWindowSeconds),
            TrustedProxies = Hosting.TrustedProxies.Parse(Env("CIMI_TRUSTED_PROXIES")),
        };
        return options.Problem() is { } problem ? throw new InvalidOperationException(problem) : options;
    }

    /// <summary>
    /// The first setting that parses but cannot work (an address that is not one, a connection string
    /// Npgsql cannot read, two listeners on one port), named by its variable; null when all can.
    /// </summary>
    public string? Problem()
    {
        if (!IPAddress.TryParse(AdvertisedAddress, out _))
            return $"CIMI_ADVERTISED_ADDRESS='{AdvertisedAddress}' is not an IP address.";
        if (!IPAddress.TryParse(HttpAddress, out _))
            return $"CIMI_HTTP_ADDRESS='{HttpAddress}' is not an IP address.";
        try
        {
            _ = new NpgsqlConnectionStringBuilder(Postgres);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Never echo the value: it may hold the database password.
            return $"CIMI_POSTGRES is not an Npgsql connection string: {e.Message}";
        }
        if (PublicBaseUri is { } publicBase && !(Uri.TryCreate(publicBase, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            return $"CIMI_PUBLIC_BASE_URI='{publicBase}' is not an absolute http or https URI.";
        var ports = new[] { ("CIMI_HTTP_PORT", HttpPort), ("CIMI_SILO_PORT", SiloPort), ("CIMI_GATEWAY_PORT", GatewayPort) };
        foreach (var (name, port) in ports)
        {
            if (ports.FirstOrDefault(other => other.Item1 != name && other.Item2 == port) is { Item1: { } clash })
                return $"{name}={port} is also {clash}: each listener needs its own port.";
        }
        return null;
    }

    /// <summary>The effective settings for the start-up log: passwords and the connection string's password redacted.</summary>
    public override string ToString()
    {
        static string Secret(string? value) => value is null ? "(unset)" : "(set)";
        string database;
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(Postgres);
            if (builder.Password is not null) builder.Password = "***";
            database = builder.ConnectionString;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            database = "(unreadable)";
        }
        return string.Join(", ",
            $"CIMI_POSTGRES={database}", $"CIMI_HTTP_ADDRESS={HttpAddress}", $"CIMI_HTTP_PORT={HttpPort}",
            $"CIMI_HTTPS_CERT={HttpsCertificatePath ?? "(unset)"}", $"CIMI_HTTPS_CERT_PASSWORD={Secret(HttpsCertificatePassword)}",
            $"CIMI_ALLOW_PLAIN_HTTP={AllowPlainHttp}", $"CIMI_SILO_PORT={SiloPort}", $"CIMI_GATEWAY_PORT={GatewayPort}",
            $"CIMI_ADVERTISED_ADDRESS={AdvertisedAddress}", $"CIMI_CLUSTER_ID={ClusterId}", $"CIMI_PUBLIC_BASE_URI={PublicBaseUri ?? "(derived)"}",
            $"CIMI_ADMIN_PASSWORD={Secret(AdminPassword)}", $"CIMI_DEMO_PASSWORD={Secret(DemoPassword)}", $"CIMI_DEMO_IMAGE={DemoImage}",
            $"CIMI_DEMO_VM_IMAGE={DemoVmImage ?? "(none)"}",
            $"CIMI_PUBLIC_IMAGES={string.Join(',', PublicImages)}", $"CIMI_HOST_RECONNECT_GRACE_SECONDS={HostReconnectGraceSeconds}",
            $"CIMI_SYSTEM_MEMBER_REFUSAL_SECONDS={SystemMemberRefusalSeconds}", $"CIMI_VOLUME_RESERVATION_SECONDS={VolumeReservationSeconds}",
            $"CIMI_CPU_ALLOCATION_RATIO={CpuAllocationRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            $"CIMI_MEMORY_ALLOCATION_RATIO={MemoryAllocationRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            $"CIMI_JOB_RETENTION_MINUTES={JobRetentionMinutes}", $"CIMI_EVENT_RETENTION_DAYS={EventRetentionDays}", $"CIMI_READ_MODEL_POOL_SIZE={ReadModelPoolSize}",
            $"CIMI_LOGIN_FAILURES_PER_USER_SOURCE={LoginFailuresPerUserAndSource}", $"CIMI_LOGIN_FAILURES_PER_SOURCE={LoginFailuresPerSource}",
            $"CIMI_LOGIN_FAILURES_PER_USER={LoginFailuresPerUser}", $"CIMI_LOGIN_THROTTLE_WINDOW_SECONDS={LoginThrottleWindowSeconds}",
            $"CIMI_TRUSTED_PROXIES={(TrustedProxies.Count == 0 ? "(none)" : string.Join(',', TrustedProxies))}");
    }
}
