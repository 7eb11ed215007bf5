using System.Text;
using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// What the tests that attach Volumes through the API need: Volumes made and awaited, attach and detach through a
/// Machine's <c>volumes</c> collection, and a guest script that reads what each attached Volume holds. The script mounts
/// every virtio disk that has a serial (the Volumes: a VM's own disks and seed have none) read-only, reads its
/// <c>note</c> file, unmounts it (a mounted disk would hold up its hot-unplug) and lists them on the console, one
/// <c>VOLREAD [ dev:serial:note … ]</c> line whenever the list changes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class VolumeGuests
{
    private const string ReadScript = """
        #!/bin/sh
        ( mkdir -p /mnt/vol; last=x
          while :; do
            now=""
            for b in /sys/block/vd*; do
              s=$(cat "$b/serial" 2>/dev/null); [ -n "$s" ] || continue
              d=${b##*/}
              n=$(grep "^$d:$s:" /tmp/volread 2>/dev/null | head -n 1)
              if [ -z "$n" ]; then
                if mount -t ext4 -o ro "/dev/$d" /mnt/vol 2>/dev/null; then
                  n="$d:$s:$(cat /mnt/vol/note 2>/dev/null || echo no-note)"; umount /mnt/vol; echo "$n" >> /tmp/volread
                else
                  n="$d:$s:unreadable"
                fi
              fi
              now="$now $n"
            done
            [ "$now" != "$last" ] && echo "VOLREAD [$now ]" && last="$now"
            sleep 1
          done ) &
        """;

    /// <summary>The userData that runs the reading script.</summary>
    public static string UserData => Convert.ToBase64String(Encoding.UTF8.GetBytes(ReadScript.Replace("\r", "")));

    /// <summary>The serial the guest sees for a Volume: its local id, cut to virtio-blk's 20 characters.</summary>
    public static string SerialOf(string volumeUri) => LocalId(volumeUri)[..20];

    public static string LocalId(string uri) => uri[(uri.LastIndexOf('/') + 1)..];

    /// <summary>The guest's latest listing of its Volumes, each entry followed by a space (null before the first).</summary>
    public static string? LatestListing(string console)
    {
        var line = console.Split('\n').LastOrDefault(l => l.Contains("VOLREAD [", StringComparison.Ordinal));
        return line is null ? null : line[(line.IndexOf('[') + 1)..line.LastIndexOf(']')];
    }

    /// <summary>Waits until the console's latest listing satisfies <paramref name="seen"/>.</summary>
    public static Task<string?> WaitListingAsync(Func<Task<string>> console, Func<string, bool> seen, string what) =>
        Eventually.Until(async () => LatestListing(await console()), l => l is not null && seen(l), $"the guest to list {what}", TimeSpan.FromSeconds(180));

    /// <summary>Creates an ext4 Volume of <paramref name="capacityKiB"/> and waits until it is AVAILABLE; returns its URI.</summary>
    public static async Task<string> CreateVolumeAsync(CimiClient client, long capacityKiB)
    {
        var created = await client.PostAsync("volumes", Http.Volumes.VolumeDocs.Create(new JsonObject { ["volumeConfig"] = Http.Volumes.VolumeDocs.Configuration(capacityKiB) }));
        Assert.True(created.Code == 202, $"creating a Volume: {created}");
        var job = await client.WaitForJobAsync(created.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the Volume's create Job: {job}");
        return created.Header("Location")!;
    }

    /// <summary>POSTs a MachineVolume to the Machine's volumes collection: the answer as it is (202, or the refusal).</summary>
    public static Task<CimiResponse> PostAttachAsync(CimiClient client, string machine, string volume, string location, bool readOnly = false)
    {
        var body = new JsonObject { ["volume"] = new JsonObject { ["href"] = volume }, ["initialLocation"] = location };
        if (readOnly) body["properties"] = new JsonObject { ["cimigrains.readOnly"] = "true" };
        return client.PostAsync(machine + "/volumes", body);
    }

    /// <summary>Attaches and waits for the attach Job to succeed.</summary>
    public static async Task AttachAsync(CimiClient client, string machine, string volume, string location, bool readOnly = false)
    {
        var response = await PostAttachAsync(client, machine, volume, location, readOnly);
        Assert.True(response.Code == 202, $"attaching {volume} to {machine}: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(120));
        Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the attach Job: {job}");
    }

    /// <summary>Detaches (DELETE of the MachineVolume) and waits for the detach Job to succeed.</summary>
    public static async Task DetachAsync(CimiClient client, string machine, string volume)
    {
        var response = await client.DeleteAsync(machine + "/volumes/" + LocalId(volume));
        Assert.True(response.Code == 202, $"detaching {volume} from {machine}: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(120));
        Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the detach Job: {job}");
    }

    /// <summary>Deletes a Volume and waits for its Job to succeed (the same as for a Machine).</summary>
    public static Task DeleteVolumeAsync(CimiClient client, string volume) => MachineWorkloads.DeleteAsync(client, volume);

    /// <summary>The hrefs the Volume lists in <c>attachedTo</c>.</summary>
    public static async Task<IReadOnlyList<string>> AttachedToAsync(CimiClient client, string volume) =>
        ((await client.GetAsync(volume)).Json["attachedTo"] as JsonArray ?? []).Select(a => a!["href"]!.GetValue<string>()).ToList();

    /// <summary>The pids of the qemu-storage-daemon processes serving exports of the agent whose state is in <paramref name="stateDirectory"/>.</summary>
    public static IReadOnlyList<int> ExportDaemons(string stateDirectory)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (args.Length > 0 && Path.GetFileName(args[0]) == "qemu-storage-daemon" && args.Any(a => a.Contains(stateDirectory + "/", StringComparison.Ordinal)))
                    found.Add(pid);
            }
            catch (IOException)
            {
                // Exited while being read.
            }
        }
        return found;
    }

    /// <summary>Kills what <see cref="ExportDaemons"/> finds (what a failed test left serving).</summary>
    public static void KillExportDaemons(string stateDirectory)
    {
        foreach (var pid in ExportDaemons(stateDirectory))
        {
            try
            {
                using var daemon = System.Diagnostics.Process.GetProcessById(pid);
                daemon.Kill();
                daemon.WaitForExit(5000);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Gone already.
            }
        }
    }

    /// <summary>The loop devices backed by a file under <paramref name="directory"/> (<c>losetup -a</c>).</summary>
    public static async Task<IReadOnlyList<string>> LoopDevicesUnderAsync(string directory)
    {
        var (code, output) = await Qemu.QemuHost.RunAsync("losetup", "-a");
        Assert.True(code == 0, $"losetup -a failed ({code}): {output}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(directory + "/", StringComparison.Ordinal)).ToList();
    }

    /// <summary>The host's mount points under <paramref name="directory"/> (<c>/proc/self/mountinfo</c>).</summary>
    public static async Task<IReadOnlyList<string>> MountsUnderAsync(string directory) =>
        (await File.ReadAllLinesAsync("/proc/self/mountinfo")).Select(l => l.Split(' ')[4])
            .Where(m => m.StartsWith(directory + "/", StringComparison.Ordinal)).ToList();
}
