namespace CimiGrains.Tenancy;

/// <summary>Too many password checks are already waiting: the caller answers 503 with Retry-After.</summary>
public sealed class PasswordHashingBusyException()
    : Exception("Too many password checks are in progress; retry shortly.");
