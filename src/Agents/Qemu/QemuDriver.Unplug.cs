using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// Hot-unplug of a PCIe device (a Volume's disk, a network interface). <c>device_del</c> only asks the guest: QEMU
/// presses the slot's attention button and the device goes once the guest's hot-plug driver lets it go. A press the
/// guest was not yet listening for is lost (a VM STARTED a moment ago is still booting its kernel; its pciehp driver
/// binds later), and QEMU refuses a second <c>device_del</c> while the first is pending, for 5 s of guest time; after
/// that a repeated request presses the button again. So the request is repeated until the device is gone or the
/// timeout passes, as a careful operator would.
/// </summary>
public sealed partial class QemuDriver
{
    /// <summary>How long a guest has to release a device after the first <c>device_del</c>.</summary>
    private static readonly TimeSpan UnplugTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How often an unanswered request is repeated: a little more than QEMU's 5 s of pending-delete time, which
    /// runs on the guest's clock (slower than the wall's under a loaded TCG).</summary>
    private static readonly TimeSpan UnplugRepeat = TimeSpan.FromSeconds(6);

    private async Task UnplugDeviceAsync(string machineKey, MachineDirectory directory, int pid, string device, string what, string outcome,
        CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + UnplugTimeout;
        var nextRequest = DateTime.MinValue;
        while (await HasDeviceAsync(machineKey, directory, pid, device, ct))
        {
            var now = DateTime.UtcNow;
            if (now > deadline)
                throw new DriverException($"The guest of {machineKey} did not release {what} within {UnplugTimeout.TotalSeconds:0} s" +
                    $" (a paused guest cannot; a guest without PCIe hot-plug support never does). {outcome}");
            if (now >= nextRequest)
            {
                try
                {
                    await QmpExecuteAsync(machineKey, directory, pid, "device_del", new JsonObject { ["id"] = device }, ct);
                }
                catch (DriverException e) when (e.Message.Contains("already in the process of unplug", StringComparison.OrdinalIgnoreCase))
                {
                    // Asked before (by the last try, or a detach cut short) and not yet expired: the same release is awaited.
                }
                nextRequest = now + UnplugRepeat;
            }
            await Task.Delay(200, ct);
        }
    }
}
