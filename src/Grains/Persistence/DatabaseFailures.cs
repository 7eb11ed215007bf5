using System.Net.Sockets;
using Npgsql;

namespace CimiGrains.Grains.Persistence;

/// <summary>
/// Tells a database outage (PostgreSQL cannot be reached, is shutting down or starting up) from every
/// other failure, wherever it surfaces: straight from Npgsql (the read model, tenants), wrapped by
/// Orleans' storage bridge (<c>OrleansException</c> around the provider's error), or flattened by
/// Orleans' exception serialization when it crossed silos. An outage is transient: the same request
/// succeeds once the database is back, so it is answered 503, retried by background work, and logged
/// once per outage instead of once per failure.
/// </summary>
public static class DatabaseFailures
{
    /// <summary>True when <paramref name="error"/> is, or wraps, a failure to reach PostgreSQL.</summary>
    public static bool IsUnavailable(Exception? error)
    {
        // Exception chains are short; the bound only guards against a cycle a buggy wrapper might build.
        for (var depth = 0; error is not null && depth < 16; depth++)
        {
            switch (error)
            {
                // The database answered and refused: an ETag conflict is a concurrency fault, not an outage.
                case Orleans.Storage.InconsistentStateException:
                    return false;
                case PostgresException postgres:
                    return IsUnavailableState(postgres.SqlState);
                // Npgsql's own (client-side) errors that are not the server's answer: the connection could
                // not be opened or broke, or no pooled connection came in time. Not a misuse such as
                // NpgsqlOperationInProgressException, which is a bug and stays a 500.
                case NpgsqlException npgsql when npgsql is not NpgsqlOperationInProgressException:
                    return npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsUnavailable);
                // An exception that crossed silos without its type: only its name and message survive.
                case Orleans.Serialization.UnavailableExceptionFallbackException fallback
                    when fallback.ExceptionType?.StartsWith("Npgsql.", StringComparison.Ordinal) == true:
                    return fallback.ExceptionType == "Npgsql.PostgresException"
                        ? fallback.Message.Length > 5 && fallback.Message[5] == ':' && IsUnavailableState(fallback.Message[..5])
                        : true;
            }
            error = error.InnerException;
        }
        return false;
    }

    /// <summary>
    /// SQLSTATE classes of an unreachable server: 08 (connection exception), 57P (operator
    /// intervention: admin/crash shutdown, cannot connect now, database dropped), 53300 (too many
    /// connections). Constraint violations, syntax errors and the like are answers, not outages.
    /// </summary>
    public static bool IsUnavailableState(string? sqlState) =>
        sqlState is { Length: 5 } s && (s.StartsWith("08", StringComparison.Ordinal) || s.StartsWith("57P", StringComparison.Ordinal) || s == "53300");
}
