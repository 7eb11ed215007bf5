using System.Diagnostics;
using System.Text;

namespace CimiGrains.Tests.Agents;

/// <summary>A real agent (the built CimiGrains.Agents.dll) as a child process, configured by environment.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private AgentProcess(Process process, string hostId)
    {
        _process = process;
        HostId = hostId;
    }

    public string HostId { get; }
    public bool HasExited => _process.HasExited;
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>
    /// Waits for the agent to exit on its own and for the last of its output to be read: HasExited turns
    /// true before the redirected streams are drained, so a test reading <see cref="Log"/> right after
    /// it could miss the line the agent printed as it exited.
    /// </summary>
    public async Task WaitForExitAsync(string what, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Timed out waiting for {what}. Agent log:\n{Log}");
        }
    }

    public static string AgentDll => Path.Combine(TestEnvironment.RepositoryRoot, "src", "Agents", "bin",
        TestEnvironment.Configuration, "net10.0", "CimiGrains.Agents.dll");

    public static AgentProcess Start(string hostId, string controllers, string secret, IDictionary<string, string>? environment = null)
    {
        if (!File.Exists(AgentDll)) throw new InvalidOperationException($"{AgentDll} is missing: build the solution first.");
        var info = new ProcessStartInfo("dotnet", [AgentDll])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(AgentDll)!,
        };
        info.Environment["CIMI_AGENT_HOST_ID"] = hostId;
        info.Environment["CIMI_AGENT_CONTROLLERS"] = controllers;
        info.Environment["CIMI_AGENT_SECRET"] = secret;
        info.Environment["CIMI_AGENT_STOP_TIMEOUT"] = "5";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = new Process { StartInfo = info };
        var agent = new AgentProcess(process, hostId);
        process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return agent;
    }

    /// <summary>Waits until the agent says it is connected (its log line), or fails with its log.</summary>
    public Task WaitConnectedAsync(int sessions = 1) => Eventually.Until(
        () => Task.FromResult(Log),
        log => CountOf(log, "Connected to ") >= sessions || HasExited,
        $"agent {HostId} to connect (session {sessions})", TimeSpan.FromSeconds(60))
        .ContinueWith(t => HasExited ? throw new InvalidOperationException($"Agent {HostId} exited:\n{Log}") : t.Result, TaskScheduler.Default);

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>SIGKILL: the agent vanishes as in a crash; its containers stay.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Kills and releases the process; a second call (a test's own, then its cloud's) does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await KillAsync();
        _process.Dispose();
    }

    private int _disposed;
}
