using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// The QEMU driver as the agent sees it: failures of the host underneath (files, sockets, the tools'
/// output) leave as <see cref="DriverException"/>s with their own words, as every driver's do.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuErrors(QemuDriver driver) : TranslatingDriver(driver)
{
    protected override DriverException? Translate(Exception e) =>
        e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException
            or System.Text.Json.JsonException or FormatException or InvalidOperationException
            ? new DriverException($"QEMU driver: {e.Message}", e)
            : null;
}
