using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CimiGrains.Agents;

/// <summary>
/// The newest command generation this host has accepted for each Machine, kept on disk so that the
/// fence survives an agent restart. A container's label only names its create generation; without this
/// record a restarted agent would accept a stale stop or start whose generation lies between the create
/// and the newest command, and undo the newer state.
/// </summary>
/// <remarks>
/// One small file per Machine (<c>{state}/generations/{sha256(key)}</c>, holding the key and the
/// generation), replaced atomically (write a temporary file, flush it to disk, rename it over the old
/// one) before the command acts. Commands for one Machine are serialised by the executor, so a file has
/// one writer. The record outlives the Machine's workload on purpose: a stale create after a delete must
/// still be refused. Records of Machines without a workload are pruned after <see cref="Retention"/>.
/// </remarks>
public sealed class GenerationStore
{
    /// <summary>How long the record of a Machine with no workload on this host is kept.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private readonly string _directory;

    /// <param name="stateDirectory">The agent's state directory.</param>
    /// <param name="folder">The folder in it: one per kind of resource, since a Volume and a Machine may share a key.</param>
    public GenerationStore(string stateDirectory, string folder = "generations")
    {
        _directory = Path.Combine(stateDirectory, folder);
        Directory.CreateDirectory(_directory);
    }

    /// <summary>Every record on disk; unreadable files (a torn temporary file, say) are skipped.</summary>
    public IReadOnlyDictionary<string, long> Load()
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(_directory))
        {
            if (file.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(file);
                continue;
            }
            if (Read(file) is { } record) result[record.MachineKey] = Math.Max(result.GetValueOrDefault(record.MachineKey), record.Generation);
        }
        return result;
    }

    /// <summary>Durably records <paramref name="generation"/> as the newest for <paramref name="machineKey"/>.</summary>
    public void Save(string machineKey, long generation)
    {
        var path = PathOf(machineKey);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes($"{machineKey}\n{generation.ToString(CultureInfo.InvariantCulture)}\n"));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Removes the records of Machines without a workload here that have not changed for
    /// <see cref="Retention"/>.</summary>
    public int Prune(IReadOnlySet<string> machinesWithWorkloads, DateTime utcNow)
    {
        var pruned = 0;
        foreach (var file in Directory.EnumerateFiles(_directory))
        {
            if (utcNow - File.GetLastWriteTimeUtc(file) < Retention) continue;
            if (Read(file) is { } record && machinesWithWorkloads.Contains(record.MachineKey)) continue;
            File.Delete(file);
            pruned++;
        }
        return pruned;
    }

    private string PathOf(string machineKey) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(machineKey))));

    private static (string MachineKey, long Generation)? Read(string file)
    {
        try
        {
            var lines = File.ReadAllLines(file);
            return lines is [var key, var generation, ..] && key.Length > 0
                && long.TryParse(generation, NumberStyles.None, CultureInfo.InvariantCulture, out var g)
                ? (key, g)
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
