using System.Diagnostics;
using CimiGrains.Agents.Protocol;
using CimiGrains.Tests.Http;
using Xunit.Abstractions;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// PostgreSQL goes away for a few seconds and comes back, under a real gateway and an agent: clients are
/// told to come back (503 + Retry-After, never 500), the log says so once, the agent's session and the
/// operation it answered during the outage survive, and everything works again without any restart.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    private const string AgentSecret = "outage-secret";
    private const string OutageBegan = "The database is unavailable";
    private const string OutageEnded = "The database is available again";

    /// <summary>How long clients keep asking while the database is away.</summary>
    private static readonly TimeSpan OutageLoad = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_database_outage_is_answered_503_with_Retry_After_logged_once_and_recovered_from_without_restarts()
    {
        // Its own server: this test stops it, and the one ./test.sh shares with every other test must stay up.
        await using var database = await PrivatePostgres.StartAsync("cimigrains");
        var ports = FreePorts.Take(4);
        var environment = new Dictionary<string, string>
        {
            ["CIMI_AGENT_PORT"] = ports[3].ToString(),
            ["CIMI_AGENT_SECRET"] = AgentSecret,
        };
        await using var gateway = await GatewayProcess.StartAsync(database.ConnectionString, environment, ports);
        // The scripted agent never reconnects by itself, and the gateway's reconnect grace is 0: if its
        // session dropped during the outage, every create afterwards would fail "No host is available".
        await using var agent = new ScriptedAgent(ports[3], "outage-host", AgentSecret);
        await agent.ConnectAsync();
        using var client = await Tenants.CreateAsync(gateway);
        var credential = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
        var template = await CimiDocs.TemplateAsync(client, credential);
        using var anonymous = new HttpClient { BaseAddress = gateway.BaseAddress };

        // An operation in flight when the database goes; its host answers while nothing can be stored.
        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "across-the-outage"));
        Assert.Equal(202, created.Code);
        var machine = created.Header("Location")![client.Cimi.Length..];
        var job = created.Header("CIMI-Job-URI")![client.Cimi.Length..];
        var command = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));

        var logBefore = gateway.Log.Length;
        await database.StopAsync();
        await agent.SucceedAsync(command, ObservedState.Running);

        var answers = new List<(string Request, CimiResponse Response)>();
        var requests = 0;
        var load = Stopwatch.StartNew();
        while (load.Elapsed < OutageLoad)
        {
            answers.Add(("GET machines", await client.GetAsync("machines")));
            answers.Add(("GET machineImages?$filter", await client.GetAsync("machineImages?$filter=name='x'")));
            answers.Add(("POST credentials", await client.PostAsync("credentials", CimiDocs.CredentialCreate())));
            answers.Add(("POST machineConfigs", await client.PostAsync("machineConfigs", CimiDocs.Configuration())));
            answers.Add(("POST machines", await client.PostAsync("machines", CimiDocs.MachineCreate(template, $"during-{requests++}"))));
        }
        foreach (var (request, response) in answers)
        {
            Assert.True(response.Code == 503, $"{request} while the database is away: {response}");
            Assert.True(response.Header("Retry-After") is { Length: > 0 }, $"{request}: 503 without Retry-After");
            Assert.Contains("database is unavailable", response.Json.Str("message"));
        }
        using (var notReady = await anonymous.GetAsync("/health/ready"))
        {
            Assert.Equal(503, (int)notReady.StatusCode);
            Assert.NotNull(notReady.Headers.RetryAfter);
        }

        await database.StartAgainAsync();
        await Eventually.Until(async () => (int)(await anonymous.GetAsync("/health/ready")).StatusCode, code => code == 200,
            "/health/ready to say ready once the database is back");
        // The console logger writes in the background: the line that ends the outage may follow the answer.
        await Eventually.Until(() => Task.FromResult(gateway.Log), log => log.Contains(OutageEnded, StringComparison.Ordinal),
            $"the gateway to log '{OutageEnded}'");
        var outageLog = gateway.Log[logBefore..];
        output.WriteLine($"The gateway's log while the database was away ({answers.Count} requests, {outageLog.Length} bytes):\n{outageLog}");

        // The outage in the log: one line when it began, one when it ended; not kilobytes per request.
        Assert.True(Occurrences(gateway.Log, OutageBegan) == 1, $"'{OutageBegan}' should be logged once:\n{outageLog}");
        Assert.True(Occurrences(gateway.Log, OutageEnded) == 1, $"'{OutageEnded}' should be logged once:\n{outageLog}");
        // Background loops retry every second meanwhile; they too say so once per outage.
        Assert.True(Occurrences(outageLog, "The event tail failed") <= 1, $"the event tail logs each retry:\n{outageLog}");
        Assert.True(outageLog.Length < 8 * 1024,
            $"{answers.Count} failed requests wrote {outageLog.Length} bytes of log during the outage:\n{outageLog[..Math.Min(outageLog.Length, 4000)]}");

        // The report made during the outage was stored once it could be; the Job agrees with its Machine
        // (the Job finishes first, so a STARTED Machine never shows a Job still running).
        var started = await Eventually.Until(() => client.GetAsync(machine), r => r.Code == 200 && r.Json.Str("state") == "STARTED",
            "the Machine whose host answered during the outage to be STARTED");
        var finished = await client.GetAsync(job);
        Assert.True(finished.Json.Str("state") == "SUCCESS", $"Machine {started.Json.Str("state")} but its Job: {finished}");

        // Creates right after the outage reach the same agent session.
        var jobs = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var after = await client.PostAsync("machines", CimiDocs.MachineCreate(template, $"after-{i}"));
            Assert.True(after.Code == 202, $"create {i} after the outage: {after}");
            jobs.Add(after.Header("CIMI-Job-URI")![client.Cimi.Length..]);
        }
        for (var i = 0; i < jobs.Count; i++)
        {
            var next = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(CommandKind.Create, next.Kind);
            await agent.SucceedAsync(next, ObservedState.Running);
        }
        foreach (var after in jobs)
        {
            var done = await client.WaitForJobAsync(after);
            Assert.True(done.Str("state") == "SUCCESS", $"a create after the outage: {done.ToJsonString()}");
        }
        Assert.False(gateway.HasExited);
    }

    private static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
