using System.ComponentModel;
using System.Diagnostics;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Volumes;

namespace CimiGrains.Agents.Networks;

/// <summary>
/// Runs the kernel's network tools (ip, bridge, nft, sysctl) for the plane, with arguments as a list, never
/// through a shell. With a <see cref="Namespace"/> every tool runs inside that named network namespace
/// (<c>ip netns exec</c>): the rig's hosts and the tests' hosts are namespaces of one machine, and each plane
/// must see only its own devices and rules. Commands inside a workload's namespace go through nsenter by pid.
/// </summary>
public sealed class PlaneShell(string? @namespace)
{
    private static readonly string Ip = HostTools.Find("ip");

    /// <summary>The named network namespace (<c>/run/netns/…</c>) the plane builds in; null: the agent's own.</summary>
    public string? Namespace { get; } = @namespace;

    /// <summary>The tool's standard output; a non-zero exit is a <see cref="DriverException"/> carrying what it said.</summary>
    public async Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken ct, string? input = null)
    {
        var (code, output, error) = await TryRunAsync(tool, arguments, ct, input);
        if (code != 0)
            throw new DriverException($"{tool} {string.Join(' ', arguments)} failed (exit {code}): {Brief(error.Length > 0 ? error : output)}");
        return output;
    }

    /// <summary>The exit code and outputs; only a tool that cannot be started throws.</summary>
    public Task<(int Code, string Output, string Error)> TryRunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken ct, string? input = null) =>
        Namespace is null
            ? ExecuteAsync(HostTools.Find(tool), arguments, input, ct)
            : ExecuteAsync(Ip, ["netns", "exec", Namespace, HostTools.Find(tool), .. arguments], input, ct);

    /// <summary><c>ip …</c> inside the network namespace of process <paramref name="pid"/> (a container's).</summary>
    public async Task<string> InWorkloadAsync(int pid, IReadOnlyList<string> ipArguments, CancellationToken ct)
    {
        var (code, output, error) = await ExecuteAsync(HostTools.Find("nsenter"), ["-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", Ip, .. ipArguments], null, ct);
        if (code != 0)
            throw new DriverException($"ip {string.Join(' ', ipArguments)} in the namespace of process {pid} failed (exit {code}): {Brief(error.Length > 0 ? error : output)}");
        return output;
    }

    private static async Task<(int, string, string)> ExecuteAsync(string file, IReadOnlyList<string> arguments, string? input, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = "/",
        };
        // Plain English whatever the host's locale, so messages stay stable.
        info.Environment["LC_ALL"] = "C";
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new DriverException($"'{file}' cannot be run on this host ({e.Message}); scripts/network.sh installs what the network plane needs.", e);
        }
        if (input is not null) await process.StandardInput.WriteAsync(input.AsMemory(), ct);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output, await error);
    }

    private static string Brief(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length > 600 ? trimmed[..600] + "…" : trimmed;
    }
}
