using System.Formats.Tar;
using System.Text.Json;
using CimiGrains.Grains.Images;

namespace CimiGrains.Gateway.Images;

/// <summary>
/// What an operator's image file must be for its driver, checked while it streams into the store (so
/// nothing is read twice or held whole): for <c>docker</c> a <c>docker save</c> archive (a tar whose
/// <c>manifest.json</c> describes exactly one image); for <c>qemu</c> a qcow2 file (its magic) or a raw
/// disk (an MBR boot signature or a GPT header, or an ext2/3/4 file system, and a whole number of
/// 512-byte sectors); for <c>volume</c> the same disk files as for qemu. Anything else is a 400 naming what is wrong.
/// </summary>
public static class ImageFileFormats
{
    public const string DockerArchive = "docker-archive";
    public const string Qcow2 = "qcow2";
    public const string Raw = "raw";

    /// <summary>Copies <paramref name="body"/> into <paramref name="upload"/>, checking it; returns its format.</summary>
    public static Task<string> CopyCheckedAsync(Stream body, ImageUpload upload, string driver, CancellationToken ct) => driver switch
    {
        "docker" => CopyDockerArchiveAsync(body, upload, ct),
        // A volume image seeds a Volume's file: the same disk files (an ext4 file system is a raw one).
        "qemu" or CimiGrains.Hosts.ImageLocation.VolumeScheme => CopyDiskImageAsync(body, upload, ct),
        _ => throw CimiRequestException.BadRequest($"The '{driver}' driver takes no image files."),
    };

    private static async Task<string> CopyDockerArchiveAsync(Stream body, ImageUpload upload, CancellationToken ct)
    {
        var tee = new ImageTeeStream(body, upload);
        string? manifest = null;
        try
        {
            await using var tar = new TarReader(tee, leaveOpen: true);
            while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.Name.TrimStart('.', '/') != "manifest.json" || entry.DataStream is null) continue;
                if (entry.Length > 1 << 20) throw Bad("its manifest.json is larger than 1 MiB");
                using var reader = new StreamReader(entry.DataStream, leaveOpen: true);
                manifest = await reader.ReadToEndAsync(ct);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            throw Bad($"it is not a tar archive ({e.Message})");
        }
        // The end-of-archive blocks and any padding after them belong to the file too.
        await tee.DrainAsync(ct);
        if (tee.Total == 0) throw Bad("the body is empty");
        if (manifest is null) throw Bad("the tar archive has no manifest.json (write it with 'docker save REPOSITORY:TAG')");
        try
        {
            using var document = JsonDocument.Parse(manifest);
            if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() != 1)
                throw Bad("its manifest.json must describe exactly one image (docker save one REPOSITORY:TAG)");
            var image = document.RootElement[0];
            if (!image.TryGetProperty("Config", out var config) || config.ValueKind != JsonValueKind.String
                || !image.TryGetProperty("Layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw Bad("its manifest.json names no Config and Layers");
        }
        catch (JsonException e)
        {
            throw Bad($"its manifest.json is not JSON ({e.Message})");
        }
        return DockerArchive;
    }

    private static async Task<string> CopyDiskImageAsync(Stream body, ImageUpload upload, CancellationToken ct)
    {
        // Enough for every signature checked: qcow2 at 0, MBR at 510, GPT at 512, ext at 1080.
        var head = new byte[2048];
        var filled = 0;
        while (filled < head.Length && await body.ReadAsync(head.AsMemory(filled), ct) is var n and > 0) filled += n;
        var h = head.AsSpan(0, filled);
        var format = IsQcow2(h) ? Qcow2 : IsRawDisk(h) ? Raw : throw Bad(
            filled == 0 ? "the body is empty" : "it is neither a qcow2 image (magic 'QFI\\xfb') nor a raw disk (an MBR or GPT partition table, or an ext2/3/4 file system)");
        await upload.WriteAsync(head.AsMemory(0, filled), ct);
        var buffer = new byte[ImageStoreDatabase.ChunkSize];
        while (await body.ReadAsync(buffer, ct) is var read and > 0) await upload.WriteAsync(buffer.AsMemory(0, read), ct);
        if (format == Raw && upload.Size % 512 != 0) throw Bad($"a raw disk is whole 512-byte sectors, and this one has {upload.Size} bytes");
        return format;
    }

    private static bool IsQcow2(ReadOnlySpan<byte> h) => h.Length >= 8 && h[0] == 'Q' && h[1] == 'F' && h[2] == 'I' && h[3] == 0xfb;

    private static bool IsRawDisk(ReadOnlySpan<byte> h) =>
        h.Length >= 512 && h[510] == 0x55 && h[511] == 0xAA
        || h.Length >= 520 && h.Slice(512, 8).SequenceEqual("EFI PART"u8)
        || h.Length >= 1082 && h[1080] == 0x53 && h[1081] == 0xEF;

    private static CimiRequestException Bad(string problem) =>
        CimiRequestException.BadRequest($"The body is not an image file for this location: {problem}.");
}
