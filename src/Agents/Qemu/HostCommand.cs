using System.ComponentModel;
using System.Diagnostics;

namespace CimiGrains.Agents.Qemu;

/// <summary>Runs the host's tools (qemu-img, genisoimage, the emulator) with arguments as a list, never through a shell.</summary>
public static class HostCommand
{
    /// <summary>The tool's standard output; a missing tool or a non-zero exit is a <see cref="Drivers.DriverException"/>
    /// carrying what the tool said.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, CancellationToken ct, string? workingDirectory = null)
    {
        var (code, output, error) = await TryRunAsync(file, arguments, ct, workingDirectory);
        if (code != 0)
            throw new Drivers.DriverException($"{Path.GetFileName(file)} failed (exit {code}): {Brief(error.Length > 0 ? error : output)}");
        return output;
    }

    /// <summary>The exit code and both outputs; only a missing tool throws.</summary>
    public static async Task<(int Code, string Output, string Error)> TryRunAsync(
        string file, IEnumerable<string> arguments, CancellationToken ct, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "/",
        };
        // Tools answer in plain English whatever the host's locale, so messages stay stable.
        info.Environment["LC_ALL"] = "C";
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new Drivers.DriverException($"'{file}' cannot be run on this host: {e.Message}.", e);
        }
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
