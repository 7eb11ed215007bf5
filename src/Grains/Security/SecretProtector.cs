using System.Security.Cryptography;
using System.Text;

namespace CimiGrains.Grains.Security;

/// <summary>
/// Seals secret strings for storage with AES-256-GCM: <c>cimi-sealed:v1:{key id}:{base64(nonce ‖ ciphertext ‖ tag)}</c>.
/// The key id says which key of the <see cref="SecretKeyRing"/> opens it, so old rows stay readable after a
/// rotation; the associated data binds the ciphertext to its key id and to the field it belongs to, so a
/// sealed password cannot be moved into another field and read out through it.
/// </summary>
public sealed class SecretProtector(SecretKeyRing keys)
{
    public const string Prefix = "cimi-sealed:v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public SecretKeyRing Keys => keys;

    /// <summary>Whether a stored value is sealed (else it is a plaintext left from before sealing existed).</summary>
    public static bool IsSealed(string value) => value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The id of the key a sealed value was sealed with.</summary>
    public static string? KeyIdOf(string value) =>
        IsSealed(value) && value.IndexOf(':', Prefix.Length) is var end and > 0 ? value[Prefix.Length..end] : null;

    public string Seal(string plaintext, string field)
    {
        var id = keys.CurrentId;
        var input = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + input.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(keys.Current, TagSize);
        aes.Encrypt(nonce, input, output.AsSpan(NonceSize, input.Length), output.AsSpan(NonceSize + input.Length), AssociatedData(id, field));
        return $"{Prefix}{id}:{Convert.ToBase64String(output)}";
    }

    /// <summary>The plaintext of a sealed value; a value that is not sealed is returned as it is (rows
    /// written before sealing existed: sealed on their next write).</summary>
    public string Unseal(string stored, string field)
    {
        if (!IsSealed(stored)) return stored;
        var end = stored.IndexOf(':', Prefix.Length);
        if (end < 0) throw new SecretUnsealException($"A sealed {field} is malformed.");
        var id = stored[Prefix.Length..end];
        if (!keys.TryGet(id, out var key))
            throw new SecretUnsealException(
                $"A sealed {field} needs the secret key with id {id}, which is not configured " +
                $"(configured: {string.Join(", ", keys.Ids)}); list the old key in {SecretKeyRing.PreviousKeysVariable}.");
        byte[] data;
        try
        {
            data = Convert.FromBase64String(stored[(end + 1)..]);
        }
        catch (FormatException)
        {
            throw new SecretUnsealException($"A sealed {field} is malformed.");
        }
        if (data.Length < NonceSize + TagSize) throw new SecretUnsealException($"A sealed {field} is malformed.");
        var length = data.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize, length), data.AsSpan(NonceSize + length), plaintext, AssociatedData(id, field));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecretUnsealException($"A sealed {field} does not open with key {id}: it was altered or moved from another field.");
        }
        return Encoding.UTF8.GetString(plaintext);
    }

    private static byte[] AssociatedData(string keyId, string field) => Encoding.UTF8.GetBytes($"cimigrains-secret:v1:{keyId}:{field}");
}
