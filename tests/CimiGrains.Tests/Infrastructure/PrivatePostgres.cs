using System.Diagnostics;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of a test's own (scripts/postgres.sh on its own port and data folder), for tests
/// that stop and start the database: the shared server that ./test.sh starts must stay up for the others.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _root;
    private readonly int _port;
    private readonly string _database;

    private PrivatePostgres(string root, int port, string database, string connectionString)
    {
        _root = root;
        _port = port;
        _database = database;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    private string DataDirectory => Path.Combine(_root, "data");

    public static async Task<PrivatePostgres> StartAsync(string database)
    {
        var root = Directory.CreateTempSubdirectory("cimigrains-pg-").FullName;
        // The server runs as the postgres user when the tests run as root: it must be able to reach its folder.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)Convert.ToInt32("755", 8));
        var port = FreePorts.Take(1)[0];
        var output = await ScriptAsync("start", Path.Combine(root, "data"), port.ToString(), database);
        return new PrivatePostgres(root, port, database, output.Trim().Split('\n')[^1]);
    }

    /// <summary>Stops the server (fast shutdown: sessions are terminated, as an operator's restart does).</summary>
    public Task StopAsync() => ScriptAsync("stop", DataDirectory);

    /// <summary>Starts the stopped server again on the same port and data.</summary>
    public Task StartAgainAsync() => ScriptAsync("start", DataDirectory, _port.ToString(), _database);

    private static async Task<string> ScriptAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(TestEnvironment.RepositoryRoot, "scripts", "postgres.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        // Durability against power loss is not what these tests are about; fsync off halves start-up time.
        info.Environment["CIMI_PG_FSYNC"] = "off";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"postgres.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}");
        return await stdout;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
