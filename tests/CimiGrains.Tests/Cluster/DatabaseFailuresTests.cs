using System.Net.Sockets;
using CimiGrains.Grains.Persistence;
using Npgsql;

namespace CimiGrains.Tests.Cluster;

/// <summary>What counts as the database being away (503, retried, logged once) and what does not (an answer).</summary>
public sealed class DatabaseFailuresTests
{
    private static PostgresException Postgres(string sqlState) => new("message", "FATAL", "FATAL", sqlState);

    [Theory]
    [InlineData("57P01")] // terminating connection due to administrator command (a fast shutdown)
    [InlineData("57P02")] // crash shutdown
    [InlineData("57P03")] // the database system is starting up
    [InlineData("08006")] // connection failure
    [InlineData("53300")] // too many connections
    public void Connection_class_server_errors_are_an_outage(string sqlState) =>
        Assert.True(DatabaseFailures.IsUnavailable(Postgres(sqlState)));

    [Theory]
    [InlineData("23505")] // unique violation
    [InlineData("22021")] // invalid byte sequence
    [InlineData("42P01")] // undefined table
    [InlineData("40001")] // serialization failure: the server answered
    public void Errors_the_server_answered_are_not_an_outage(string sqlState) =>
        Assert.False(DatabaseFailures.IsUnavailable(Postgres(sqlState)));

    [Fact]
    public void A_refused_connection_is_an_outage_also_when_Orleans_storage_wraps_it()
    {
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
        Assert.True(DatabaseFailures.IsUnavailable(refused));
        Assert.True(DatabaseFailures.IsUnavailable(new Orleans.Runtime.OrleansException("Error from storage provider", refused)));
        Assert.True(DatabaseFailures.IsUnavailable(new AggregateException(refused)));
    }

    [Fact]
    public void An_etag_conflict_and_unrelated_errors_are_not_an_outage()
    {
        Assert.False(DatabaseFailures.IsUnavailable(new Orleans.Storage.InconsistentStateException("etag mismatch")));
        Assert.False(DatabaseFailures.IsUnavailable(new InvalidOperationException("a bug")));
        Assert.False(DatabaseFailures.IsUnavailable(new SocketException((int)SocketError.ConnectionRefused)));
        Assert.False(DatabaseFailures.IsUnavailable(null));
    }
}
