namespace CimiGrains.Common;

/// <summary>
/// Marks a string that is a secret (a password, user-data): grain storage seals it with the operator's
/// key (src/Grains/Security), so the database never holds it in plaintext. Every record that carries
/// the property is covered wherever it is persisted (a Credential inside a MachineTemplate, a Machine's
/// resolved spec).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class SecretAtRestAttribute : Attribute;
