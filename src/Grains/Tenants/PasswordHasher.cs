using System.Security.Cryptography;
using CimiGrains.Tenancy;

namespace CimiGrains.Grains.Tenants;

/// <summary>
/// PBKDF2-HMAC-SHA256 password hashes in the form <c>pbkdf2-sha256$iterations$salt$hash</c> (Base64).
/// New hashes use OWASP's 2023 work factor (600,000 iterations); hashes made with fewer still verify
/// and <see cref="NeedsRehash"/> tells the caller to upgrade them after a successful login.
/// </summary>
/// <remarks>
/// Every hash computation in the process passes one gate of <see cref="MaxConcurrentHashes"/> slots, so
/// a flood of logins that need PBKDF2 (wrong passwords, unknown users) queues behind itself instead of
/// taking every core and thread from requests that need none (cached credentials, agents, grains).
/// When more than <see cref="MaxQueuedHashes"/> computations already wait, a new one is refused at once
/// with <see cref="PasswordHashingBusyException"/> rather than holding a connection for seconds.
/// </remarks>
public static class PasswordHasher
{
    /// <summary>OWASP Password Storage Cheat Sheet (2023) for PBKDF2-HMAC-SHA256.</summary>
    public const int Iterations = 600_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const string Scheme = "pbkdf2-sha256";

    /// <summary>Half the cores (at least one): the other half keeps serving requests during a flood.</summary>
    public static readonly int MaxConcurrentHashes = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Computations allowed to wait for a slot; beyond this a login is refused as busy.</summary>
    public static readonly int MaxQueuedHashes = 32 * MaxConcurrentHashes;

    private static readonly SemaphoreSlim Gate = new(MaxConcurrentHashes, MaxConcurrentHashes);
    private static int _waiting;

    /// <summary>
    /// What an unknown user's password is verified against, so that an unknown user costs exactly the
    /// PBKDF2 work of a wrong password (no user enumeration by timing): today's iterations, a random salt
    /// and a random "hash" that no password can match (a 2^-256 chance).
    /// </summary>
    private static readonly string Dummy =
        $"{Scheme}${Iterations}${Convert.ToBase64String(RandomNumberGenerator.GetBytes(SaltBytes))}${Convert.ToBase64String(RandomNumberGenerator.GetBytes(HashBytes))}";

    public static async Task<string> HashAsync(string password, CancellationToken ct = default) =>
        await GatedAsync(() => HashNow(password), ct);

    /// <summary>True when <paramref name="password"/> matches <paramref name="stored"/>; a malformed hash never matches.</summary>
    public static async Task<bool> VerifyAsync(string password, string stored, CancellationToken ct = default) =>
        await GatedAsync(() => VerifyNow(password, stored), ct);

    /// <summary>Does the work of verifying a password for a user that does not exist (never a match).</summary>
    public static async Task VerifyAgainstDummyAsync(string password, CancellationToken ct = default)
    {
        await GatedAsync(() => VerifyNow(password, Dummy), ct);
    }

    /// <summary>True when <paramref name="stored"/> is weaker than what <see cref="HashAsync"/> makes today.</summary>
    public static bool NeedsRehash(string stored) =>
        !TryParse(stored, out var iterations, out _, out _) || iterations < Iterations;

    private static string HashNow(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    private static bool VerifyNow(string password, string stored)
    {
        if (!TryParse(stored, out var iterations, out var salt, out var expected)) return false;
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryParse(string stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        (salt, hash) = ([], []);
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], out iterations) || iterations <= 0)
        {
            iterations = 0;
            return false;
        }
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        return salt.Length > 0 && hash.Length > 0;
    }

    private static async Task<T> GatedAsync<T>(Func<T> work, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _waiting) > MaxConcurrentHashes + MaxQueuedHashes)
        {
            Interlocked.Decrement(ref _waiting);
            throw new PasswordHashingBusyException();
        }
        try
        {
            await Gate.WaitAsync(ct);
            try
            {
                return work();
            }
            finally
            {
                Gate.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
