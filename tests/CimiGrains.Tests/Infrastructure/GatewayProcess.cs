using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// A real Gateway (silo + HTTP) as a child process on free loopback ports, the way operators run it.
/// Tests can kill it with SIGKILL to prove durability, or stop it with SIGTERM.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    public const string AdminPassword = "test-admin-password";

    /// <summary>The tests' secret-sealing key (32 bytes in base64; CIMI_SECRET_KEY).</summary>
    public const string SecretKey = "Y2ltaWdyYWlucy10ZXN0LXNlY3JldC1rZXktMzJieXQ=";

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private GatewayProcess(Process process, int httpPort, int siloPort, int gatewayPort, bool https = false)
    {
        _process = process;
        Https = https;
        HttpPort = httpPort;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public int HttpPort { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    /// <summary>True when the CIMI port serves HTTPS (the test set <c>CIMI_HTTPS_CERT</c>).</summary>
    public bool Https { get; }
    public Uri BaseAddress => new($"{(Https ? "https" : "http")}://127.0.0.1:{HttpPort}/");
    public bool HasExited => _process.HasExited;

    /// <summary>The gateway's resident memory now, in bytes (what a flood of requests must not grow without bound).</summary>
    public long ResidentBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }
    public string Log { get { lock (_log) return _log.ToString(); } }

    public static string GatewayDll => Path.Combine(TestEnvironment.RepositoryRoot, "src", "Gateway", "bin",
        TestEnvironment.Configuration, "net10.0", "CimiGrains.Gateway.dll");

    public static async Task<GatewayProcess> StartAsync(string postgres, IDictionary<string, string>? environment = null,
        int[]? ports = null)
    {
        if (ports is not null) return await StartOnceAsync(postgres, environment, ports);
        // Ports picked here were free when picked; another process of the run may take one before the gateway binds
        // it. Such a start is tried again on other ports (a test that names its ports gets what it asked for).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(postgres, environment, FreePorts.Take(3));
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private static async Task<GatewayProcess> StartOnceAsync(string postgres, IDictionary<string, string>? environment, int[] ports)
    {
        if (!File.Exists(GatewayDll)) throw new InvalidOperationException($"{GatewayDll} is missing: build the solution first.");
        var info = new ProcessStartInfo("dotnet", [GatewayDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(GatewayDll)!,
        };
        info.Environment["CIMI_POSTGRES"] = postgres;
        info.Environment["CIMI_HTTP_PORT"] = ports[0].ToString();
        info.Environment["CIMI_SILO_PORT"] = ports[1].ToString();
        info.Environment["CIMI_GATEWAY_PORT"] = ports[2].ToString();
        info.Environment["CIMI_ADMIN_PASSWORD"] = AdminPassword;
        // The gateway refuses to start without a key to seal secrets with; tests share a fixed one.
        info.Environment["CIMI_SECRET_KEY"] = SecretKey;
        // A test that wants creates to wait for its agents sets this; the others expect "no host" at once.
        info.Environment["CIMI_HOST_RECONNECT_GRACE_SECONDS"] = "0";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var gateway = new GatewayProcess(process, ports[0], ports[1], ports[2], info.Environment.ContainsKey("CIMI_HTTPS_CERT"));
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await gateway.WaitReadyAsync();
        }
        catch
        {
            // A gateway that never became ready would otherwise outlive the test run.
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    private async Task WaitReadyAsync()
    {
        // Readiness only: the test's own clients check the certificate it gave the gateway.
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => Https })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The gateway exited with {_process.ExitCode}:\n{Log}");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "/health/ready"));
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Starting slowly.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The gateway on port {HttpPort} was not ready within 180 s:\n{Log}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or power loss.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then SIGKILL if it has not stopped within the timeout.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process.HasExited) return;
        _ = SendSignal(_process.Id, 15);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public CimiClient Client(string user, string password) => new(BaseAddress, user, password);

    public CimiClient Admin() => Client("admin", AdminPassword);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
