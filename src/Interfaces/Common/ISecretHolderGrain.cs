namespace CimiGrains.Common;

/// <summary>
/// A grain whose stored state may hold <see cref="SecretAtRestAttribute"/> values. The operator's bulk
/// re-seal (<c>POST /admin/secrets/reseal</c>) asks it to write its state again, which seals every secret
/// under the current key; the row is never rewritten behind the grain's back (its ETag would go stale).
/// </summary>
public interface ISecretHolderGrain : IGrainWithStringKey
{
    /// <summary>Writes the stored state again as it is; false when there is no stored state to write.</summary>
    Task<bool> Reseal();
}
