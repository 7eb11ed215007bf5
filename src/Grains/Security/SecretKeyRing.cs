using System.Security.Cryptography;
using System.Text;

namespace CimiGrains.Grains.Security;

/// <summary>
/// The keys that seal secrets in grain state: the current key (new writes) and previous keys (still
/// readable, so an operator can rotate). Keys come from the operator's environment or files, never from
/// the database. Each key is 32 random bytes in base64 (<c>openssl rand -base64 32</c>); its id is derived
/// from the key itself, so nothing has to be named and a wrong key can never pass for a right one.
/// </summary>
public sealed class SecretKeyRing
{
    public const string KeyVariable = "CIMI_SECRET_KEY";
    public const string KeyFileVariable = "CIMI_SECRET_KEY_FILE";
    public const string PreviousKeysVariable = "CIMI_SECRET_PREVIOUS_KEYS";
    public const string PreviousKeysFileVariable = "CIMI_SECRET_PREVIOUS_KEYS_FILE";

    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public SecretKeyRing(byte[] current, IEnumerable<byte[]>? previous = null)
    {
        CurrentId = Add(current);
        foreach (var key in previous ?? []) Add(key);
    }

    /// <summary>The id of the key new writes use.</summary>
    public string CurrentId { get; }

    public byte[] Current => _keys[CurrentId];

    /// <summary>The ids of every key that can be read (current first is not implied).</summary>
    public IReadOnlyCollection<string> Ids => _keys.Keys;

    public bool TryGet(string id, out byte[] key) => _keys.TryGetValue(id, out key!);

    /// <summary>Eight hex digits of a hash of the key: public, stored beside each ciphertext.</summary>
    public static string IdOf(byte[] key)
    {
        var material = new byte[key.Length + 1];
        material[0] = 0x4b;
        key.CopyTo(material, 1);
        return Convert.ToHexStringLower(SHA256.HashData(material))[..8];
    }

    /// <summary>
    /// Reads <c>CIMI_SECRET_KEY</c> (or <c>CIMI_SECRET_KEY_FILE</c>) and the previous keys
    /// (<c>CIMI_SECRET_PREVIOUS_KEYS</c>, comma-separated, and/or <c>CIMI_SECRET_PREVIOUS_KEYS_FILE</c>, one a
    /// line). Without a current key this throws: the cloud refuses to store secrets in plaintext.
    /// Messages name variables and files, never key material.
    /// </summary>
    public static SecretKeyRing FromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? Env(string name) => environment(name) is { Length: > 0 } v ? v.Trim() : null;

        var inline = Env(KeyVariable);
        var file = Env(KeyFileVariable);
        if (inline is not null && file is not null)
            throw new InvalidOperationException($"Set {KeyVariable} or {KeyFileVariable}, not both.");
        var current = inline is not null ? Parse(inline, KeyVariable)
            : file is not null ? Parse(ReadFile(file, KeyFileVariable).Trim(), KeyFileVariable)
            : throw new InvalidOperationException(
                $"Set {KeyVariable} (or {KeyFileVariable}) to 32 random bytes in base64, e.g. `openssl rand -base64 32`: " +
                "Credential passwords and user-data are sealed with it in the database, and the cloud will not store them in plaintext. " +
                "Keep the key outside the database and back it up; without it those secrets cannot be read.");

        var previous = new List<byte[]>();
        foreach (var item in (Env(PreviousKeysVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            previous.Add(Parse(item, PreviousKeysVariable));
        if (Env(PreviousKeysFileVariable) is { } previousFile)
        {
            foreach (var line in ReadFile(previousFile, PreviousKeysFileVariable).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!line.StartsWith('#')) previous.Add(Parse(line, PreviousKeysFileVariable));
            }
        }
        return new SecretKeyRing(current, previous);
    }

    private string Add(byte[] key)
    {
        if (key.Length != 32) throw new InvalidOperationException("A secret key must be 32 bytes.");
        var id = IdOf(key);
        _keys.TryAdd(id, key);
        return id;
    }

    private static byte[] Parse(string base64, string source)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{source}: a key is not base64 (use `openssl rand -base64 32`).");
        }
        return key.Length == 32 ? key : throw new InvalidOperationException($"{source}: a key must be 32 bytes (it has {key.Length}).");
    }

    private static string ReadFile(string path, string variable)
    {
        try
        {
            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{variable}='{path}' cannot be read: {e.Message}");
        }
    }
}
