extern alias agents;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Qemu;

namespace CimiGrains.Tests.Agents.Qemu;

/// <summary>
/// The QMP client against a monitor played on a unix socket, answering as QEMU does (the greeting, then one reply per
/// command in order, echoing the command's <c>id</c>), except that it holds back its reply to <c>query-blockstats</c>
/// until the next command arrives: what a VM that stalls and recovers does to a command that timed out.
/// </summary>
public sealed class QmpClientTests
{
    [Fact]
    public async Task A_reply_that_comes_after_its_command_timed_out_is_not_taken_for_the_next_commands()
    {
        var directory = Directory.CreateTempSubdirectory("cimi-qmp-");
        var path = Path.Combine(directory.FullName, "qmp.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var monitor = ServeAsync(listener);
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(path, _ => { }, TimeSpan.FromSeconds(10), default);
            var started = DateTime.UtcNow;
            var late = await Assert.ThrowsAsync<DriverException>(() => qmp.ExecuteAsync("query-blockstats", null, default, TimeSpan.FromMilliseconds(300)));
            Assert.Contains("query-blockstats", late.Message);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "the timed-out command was not bounded by its timeout");

            // The monitor now answers the held-back command first, then this one: each gets its own reply.
            var status = await qmp.ExecuteAsync("query-status", null, default);
            Assert.Equal("running", status?["status"]?.GetValue<string>());
            Assert.IsType<JsonArray>(await qmp.ExecuteAsync("query-blockstats", null, default, TimeSpan.FromSeconds(5)));
        }
        finally
        {
            listener.Close();
            await monitor;
            directory.Delete(recursive: true);
        }
    }

    private static async Task ServeAsync(Socket listener)
    {
        try
        {
            using var client = await listener.AcceptAsync();
            await using var stream = new NetworkStream(client, ownsSocket: false);
            using var reader = new StreamReader(stream);
            async Task Write(string line) => await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            await Write("""{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}""");
            string? held = null;
            var heldBack = false;
            while (await reader.ReadLineAsync() is { } line)
            {
                var request = JsonNode.Parse(line)!;
                var id = request["id"]?.ToJsonString() ?? "null";
                var answer = request["execute"]!.GetValue<string>() switch
                {
                    "query-status" => $$"""{"return": {"status": "running", "singlestep": false, "running": true}, "id": {{id}}}""",
                    "query-blockstats" => $$"""{"return": [], "id": {{id}}}""",
                    _ => $$"""{"return": {}, "id": {{id}}}""",
                };
                if (!heldBack && request["execute"]!.GetValue<string>() == "query-blockstats")
                {
                    (held, heldBack) = (answer, true);
                    continue;
                }
                if (held is not null)
                {
                    await Write(held);
                    held = null;
                }
                await Write(answer);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // The test is over.
        }
    }
}
