using CimiGrains.Grains.Persistence;
using Npgsql;

namespace CimiGrains.Gateway.Hosting;

/// <summary>
/// Whether PostgreSQL is reachable, as this process last saw it. Every part of the gateway that meets a
/// database failure (the error mapper, the agent API, the log filter) hands it to <see cref="Observe"/>;
/// the first one of an outage writes the one line that says the database went away, and a probe then
/// checks every second until it answers again and writes the one line that says it is back. Readiness
/// answers from here, so an orchestrator stops sending traffic for the duration and nothing restarts.
/// </summary>
public sealed partial class DatabaseOutage(NpgsqlDataSource dataSource, TimeProvider time, ILogger<DatabaseOutage> logger)
    : BackgroundService
{
    /// <summary>
    /// What a 503 tells clients to wait before retrying: the probe period plus PostgreSQL's own restart
    /// (~1-2 s), so a client that obeys it usually finds the database back on its first retry.
    /// </summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Whether <paramref name="error"/> means the database is unreachable (the Grains' classification, for the binding).</summary>
    public static bool IsDatabaseUnavailable(Exception? error) => DatabaseFailures.IsUnavailable(error);

    /// <summary>How often the probe asks while the database is away.</summary>
    public static readonly TimeSpan ProbePeriod = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _began = new(0);
    private DateTimeOffset? _since;
    private long _failures;

    /// <summary>True from the first failure that shows the database unreachable until a probe reaches it.</summary>
    public bool IsDown
    {
        get { lock (_gate) return _since is not null; }
    }

    /// <summary>
    /// Counts <paramref name="error"/> towards the current outage when it is one (<see cref="DatabaseFailures"/>);
    /// false for every other failure, which the caller handles and logs as before.
    /// </summary>
    public bool Observe(Exception? error)
    {
        if (!DatabaseFailures.IsUnavailable(error)) return false;
        bool began;
        lock (_gate)
        {
            began = _since is null;
            _since ??= time.GetUtcNow();
            _failures++;
        }
        if (began)
        {
            LogOutageBegan(Describe(error!));
            _began.Release();
        }
        return true;
    }

    /// <summary>
    /// Readiness: false while an outage is known (the probe ends it), else whether the database answers
    /// now; a failure here starts an outage like any other.
    /// </summary>
    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        if (IsDown) return false;
        try
        {
            await ProbeAsync(ct);
            return true;
        }
        catch (Exception e) when (Observe(e))
        {
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _began.WaitAsync(stoppingToken);
                while (IsDown)
                {
                    await Task.Delay(ProbePeriod, time, stoppingToken);
                    try
                    {
                        await ProbeAsync(stoppingToken);
                    }
                    catch (Exception e) when (DatabaseFailures.IsUnavailable(e))
                    {
                        continue;
                    }
                    Ended();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The probe itself failed in another way (a bug, not the database): say so, keep probing.
                LogProbeFailed(e);
            }
        }
    }

    private void Ended()
    {
        DateTimeOffset since;
        long failures;
        lock (_gate)
        {
            if (_since is not { } s) return;
            since = s;
            failures = _failures;
            _since = null;
            _failures = 0;
            // Signals of failures seen during this outage are spent: the next outage starts afresh.
            while (_began.CurrentCount > 0) _began.Wait(0);
        }
        // Connections that were open when the server went away are dead; Npgsql finds out only on their
        // next use, so without this the first requests after the outage would fail on them one by one.
        NpgsqlConnection.ClearAllPools();
        dataSource.Clear();
        LogOutageEnded((time.GetUtcNow() - since).TotalSeconds, failures);
    }

    private async Task ProbeAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        await using var cmd = dataSource.CreateCommand("SELECT 1");
        await cmd.ExecuteScalarAsync(timeout.Token);
    }

    /// <summary>One line: the innermost database error's message (Orleans' wrappers repeat whole stack traces).</summary>
    private static string Describe(Exception error)
    {
        var described = error;
        for (var e = error; e is not null; e = e.InnerException)
            if (e is NpgsqlException or System.Net.Sockets.SocketException) described = e;
        return described.Message.ReplaceLineEndings(" ");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The database is unavailable ({Reason}): requests that need it are answered 503 until it is back")]
    private partial void LogOutageBegan(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database is available again after {Seconds:0.0} s ({Failures} failures while it was away)")]
    private partial void LogOutageEnded(double seconds, long failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database probe failed")]
    private partial void LogProbeFailed(Exception e);
}
