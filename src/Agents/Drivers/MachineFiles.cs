using System.Formats.Tar;
using System.Text;

namespace CimiGrains.Agents.Drivers;

/// <summary>
/// What CIMI gave a Machine (its credential and userData) as the files its workload reads at boot,
/// whatever the driver: <c>admin-user</c>, <c>admin-key</c> (world-readable), <c>admin-password</c> and
/// <c>user-data</c> (owner only). Each driver decides where they go; none passes them in a way the host's
/// other users could read (environment variables, command lines) or a capture would copy.
/// </summary>
public static class MachineFiles
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The Machine's files; empty when CIMI gave it nothing.</summary>
    public static IReadOnlyList<MachineFile> Of(WorkloadSpec spec)
    {
        var files = new List<MachineFile>();
        if (spec.AdminUserName is { Length: > 0 } user) files.Add(new("admin-user", Encoding.UTF8.GetBytes(user + "\n"), Public));
        if (spec.AdminPassword is { Length: > 0 } password) files.Add(new("admin-password", Encoding.UTF8.GetBytes(password + "\n"), Private));
        if (spec.AdminKey is { Length: > 0 } key) files.Add(new("admin-key", Encoding.UTF8.GetBytes(key + "\n"), Public));
        // CIMI carries userData base64-encoded; the workload gets the bytes themselves.
        if (spec.UserData is { Length: > 0 } userData) files.Add(new("user-data", DecodeUserData(userData), Private));
        return files;
    }

    /// <summary>The files as a tar archive (PAX, modes kept), positioned at its start.</summary>
    public static async Task<MemoryStream> ToTarAsync(IReadOnlyList<MachineFile> files, CancellationToken ct)
    {
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, file.Name) { Mode = file.Mode, DataStream = new MemoryStream(file.Content) };
                await writer.WriteEntryAsync(entry, ct);
            }
        }
        tar.Position = 0;
        return tar;
    }

    private static byte[] DecodeUserData(string userData)
    {
        try
        {
            return Convert.FromBase64String(userData);
        }
        catch (FormatException)
        {
            // The gateway validates base64; anything else is handed over as it came.
            return Encoding.UTF8.GetBytes(userData);
        }
    }
}

/// <summary>One of a Machine's files: its name in the Machine's files directory, its bytes and its mode.</summary>
public sealed record MachineFile(string Name, byte[] Content, UnixFileMode Mode);
