using System.Globalization;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// The command line of a Machine's QEMU: one daemonized process (its own session, so it outlives the
/// agent), no default devices, no display, and no network device but the Machine's CIMI network interfaces
/// (<c>-nic none</c>: a VM without any has no NIC, so it cannot reach the host's services; each interface is a tap
/// on its Network's bridge, docs/NETWORKS.md). It runs as the Machine's
/// own unprivileged uid and gid through <c>setpriv</c>, with no supplementary groups but kvm's under KVM.
/// </summary>
public static class QemuCommandLine
{
    /// <summary>The program and arguments that launch the VM (<c>setpriv … qemu-system-x86_64 …</c>).</summary>
    public static IReadOnlyList<string> For(
        string binary, string accelerator, MachineDirectory directory, MachineRecord record, int uid, int? kvmGroup, bool incoming)
    {
        var setpriv = new List<string>
        {
            $"--reuid={uid}", $"--regid={uid}", kvmGroup is { } g ? $"--groups={g}" : "--clear-groups", "--no-new-privs",
        };
        var qemu = new List<string>
        {
            binary,
            "-name", Escape(record.MachineKey),
            "-nodefaults", "-no-user-config", "-display", "none",
            "-machine", $"q35,accel={accelerator}",
            "-cpu", accelerator == "kvm" ? "host" : "max",
            "-smp", record.Cpu.ToString(CultureInfo.InvariantCulture),
            // CIMI counts memory in KiB; QEMU in MiB: rounded up, so a guest never gets less than asked.
            "-m", ((record.MemoryKiB + 1023) / 1024).ToString(CultureInfo.InvariantCulture),
            "-nic", "none",
            "-qmp", $"unix:{directory.Qmp},server=on,wait=off",
            "-chardev", $"file,id=console,path={directory.Console},append=on",
            "-serial", "chardev:console",
            "-pidfile", directory.PidFile,
            "-daemonize",
        };
        if (record.BaseDisk is not null)
            qemu.AddRange(["-drive", $"file={directory.Overlay},format=qcow2,if=virtio,id=root"]);
        for (var i = 0; i < record.Disks.Count; i++)
            qemu.AddRange(["-drive", $"file={System.IO.Path.Combine(directory.Path, record.Disks[i].File)},format=qcow2,if=virtio,id=disk{i}"]);
        qemu.AddRange(["-drive", $"file={directory.Seed},format=raw,if=virtio,readonly=on,id=cidata"]);
        // Root ports for Volumes, after every other device so the others keep their addresses; each attached
        // Volume's device on its own port (where a hot-plug put it, so a saved state restores into the same tree).
        for (var slot = 0; slot < record.VolumeSlots; slot++)
            qemu.AddRange(["-device", $"pcie-root-port,id=volport{slot},chassis={slot + 1},bus=pcie.0"]);
        foreach (var volume in record.Volumes)
        {
            var ro = volume.ReadOnly ? "on" : "off";
            var file = volume.Path is not null
                ? $"driver=file,filename={Escape(volume.Path)}"
                : $"driver=nbd,server.type=inet,server.host={Escape(NbdHost(volume.NbdAddress!))},server.port={NbdPort(volume.NbdAddress!)},export={Escape(volume.NbdExport!)},tls-creds={volume.TlsObject}";
            // Over NBD, TLS with the Volume's own pre-shared key (the owning host serves nothing in clear).
            if (volume.Path is null)
                qemu.AddRange(["-object", $"tls-creds-psk,id={volume.TlsObject},endpoint=client,dir={Escape(volume.TlsDirectory(directory))},username={volume.NbdIdentity}"]);
            qemu.AddRange(["-blockdev", $"{file},node-name={volume.FileNode},read-only={ro}"]);
            qemu.AddRange(["-blockdev", $"driver={volume.Driver},file={volume.FileNode},node-name={volume.FormatNode},read-only={ro}"]);
            qemu.AddRange(["-device", $"virtio-blk-pci,drive={volume.FormatNode},id={volume.Device},serial={Escape(volume.Serial)},bus={volume.Port}"]);
        }
        // Root ports for network interfaces after the Volumes' (chassis numbers of their own), then each interface: its
        // tap (made by the host's network plane, owned by the VM's uid) and its virtio-net device with the interface's MAC.
        for (var slot = 0; slot < record.NetworkSlots; slot++)
            qemu.AddRange(["-device", $"pcie-root-port,id=nicport{slot},chassis={NicChassisBase + slot},bus=pcie.0"]);
        foreach (var nic in record.NetworkInterfaces)
        {
            qemu.AddRange(["-netdev", $"tap,id={nic.Netdev},ifname={Escape(nic.Tap ?? throw new InvalidOperationException($"Network interface {nic.Interface.InterfaceId} has no tap yet."))},script=no,downscript=no"]);
            qemu.AddRange(["-device", $"virtio-net-pci,netdev={nic.Netdev},mac={nic.Interface.Mac},id={nic.Device},bus={nic.Port}"]);
        }
        if (record.Kernel is not null)
        {
            qemu.AddRange(["-kernel", record.Kernel]);
            if (record.Initrd is not null) qemu.AddRange(["-initrd", record.Initrd]);
            if (record.Cmdline is not null) qemu.AddRange(["-append", record.Cmdline]);
        }
        // Restoring a suspended VM: wait, paused, for the saved state the agent feeds it over QMP.
        if (incoming) qemu.AddRange(["-S", "-incoming", "defer"]);
        setpriv.AddRange(qemu);
        return setpriv;
    }

    /// <summary>The first chassis number of the interfaces' root ports: past every Volume port's (1 to 8).</summary>
    public const int NicChassisBase = 64;

    /// <summary>The host of an NBD address <c>host:port</c> (an IPv6 host in brackets).</summary>
    public static string NbdHost(string address) => address[..address.LastIndexOf(':')].Trim('[', ']');

    public static string NbdPort(string address) => address[(address.LastIndexOf(':') + 1)..];

    /// <summary>QEMU's option syntax doubles a comma inside a value.</summary>
    private static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);
}
