using System.Security.Cryptography;
using System.Text;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// A Machine's runtime directory under <c>CIMI_AGENT_QEMU_DIR</c> and the files in it. The name is a hash of
/// the Machine key (keys may hold any character, and unix socket paths must stay under 108 bytes); the key
/// itself is in the record beside the directory (<see cref="RecordFile"/>). The directory is owned by the
/// VM's own uid, mode 0700: no other VM can open its disks, seed, sockets or console.
/// </summary>
public sealed record MachineDirectory(string Path)
{
    public const string Prefix = "m-";

    public static MachineDirectory For(string runtimeDirectory, string machineKey) =>
        new(System.IO.Path.Combine(runtimeDirectory, Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(machineKey)))[..20]));

    public string Name => System.IO.Path.GetFileName(Path);
    public string Overlay => File("overlay.qcow2");
    public string Seed => File("seed.iso");
    public string Qmp => File("qmp.sock");
    public string Console => File("console.log");
    public string ConsoleRotated => File("console.log.1");
    public string PidFile => File("qemu.pid");
    /// <summary>The guest's saved RAM and device state while suspended; written under <see cref="SuspendingState"/> first.</summary>
    public string SuspendedState => File("suspend.state");
    public string SuspendingState => File("suspend.state.partial");

    public string Disk(int index) => File($"disk-{index}.qcow2");

    public bool Exists => Directory.Exists(Path);

    public string RecordFile => Path + ".json";

    public MachineRecord? Record => MachineRecord.Read(RecordFile);

    private string File(string name) => System.IO.Path.Combine(Path, name);
}
