using System.Text.RegularExpressions;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// Which accelerator this host's guests run under, and why. KVM is used only when the host can really
/// run a guest with it: <c>/dev/kvm</c> must open read-write AND the CPU must show hardware virtualization
/// (vmx or svm in /proc/cpuinfo). A host where <c>/dev/kvm</c> opens but the CPU flags lack both (nested
/// virtualization switched off) creates KVM VMs whose guests hang in early boot, so <c>auto</c> picks TCG there.
/// </summary>
public static partial class QemuAccelerator
{
    public sealed record Choice(string Accelerator, string Reason);

    /// <summary>The accelerator for <paramref name="wanted"/>; <see cref="Drivers.DriverException"/> when
    /// <c>kvm</c> is asked for and cannot work here.</summary>
    public static Choice Choose(QemuAcceleration wanted, string kvmDevice = "/dev/kvm", string cpuInfo = "/proc/cpuinfo")
    {
        var kvmProblem = KvmProblem(kvmDevice, cpuInfo);
        return wanted switch
        {
            QemuAcceleration.Tcg => new("tcg", "CIMI_AGENT_QEMU_ACCEL=tcg"),
            QemuAcceleration.Kvm when kvmProblem is null => new("kvm", "CIMI_AGENT_QEMU_ACCEL=kvm and KVM is usable"),
            QemuAcceleration.Kvm => throw new Drivers.DriverException($"CIMI_AGENT_QEMU_ACCEL=kvm, but KVM is not usable here: {kvmProblem}"),
            _ when kvmProblem is null => new("kvm", $"auto: {kvmDevice} opens read-write and the CPU has hardware virtualization"),
            _ => new("tcg", $"auto: KVM is not usable ({kvmProblem})"),
        };
    }

    /// <summary>Why KVM cannot run guests here, or null when it can.</summary>
    private static string? KvmProblem(string kvmDevice, string cpuInfo)
    {
        try
        {
            using var device = new FileStream(kvmDevice, FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{kvmDevice} does not open read-write: {e.Message}";
        }
        string flags;
        try
        {
            flags = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{cpuInfo} cannot be read: {e.Message}";
        }
        return VirtualizationFlag().IsMatch(flags)
            ? null
            : $"the CPU flags in {cpuInfo} show neither vmx nor svm, so a KVM guest would not boot";
    }

    /// <summary>The version in <c>qemu-system-x86_64 --version</c>'s first line (<c>QEMU emulator version 7.2.22 (…)</c>).</summary>
    public static string VersionOf(string versionOutput) =>
        VersionNumber().Match(versionOutput) is { Success: true } m ? m.Groups[1].Value : versionOutput.Split('\n')[0].Trim();

    [GeneratedRegex(@"\b(vmx|svm)\b")]
    private static partial Regex VirtualizationFlag();

    [GeneratedRegex(@"version (\d+(?:\.\d+)+)")]
    private static partial Regex VersionNumber();
}
