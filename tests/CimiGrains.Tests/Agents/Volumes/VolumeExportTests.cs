using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// A real agent serving a Volume of its pool over NBD (VolumeExportServer): TLS with pre-shared keys, only to the
/// clients the cluster lists, surviving a kill -9 of the agent, and gone when the list leaves it out. The client is
/// qemu-img, which speaks NBD as a VM's QEMU does.
/// </summary>
public sealed class VolumeExportTests
{
    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private static ControllerMessage Exports(params VolumeExport[] exports)
    {
        var list = new VolumeExports();
        list.Exports.AddRange(exports);
        return new ControllerMessage { VolumeExports = list };
    }

    private static VolumeExport Export(string key, int port, params (string Identity, string Psk)[] clients)
    {
        var export = new VolumeExport { VolumeId = key, Port = port, Writable = true };
        export.Clients.AddRange(clients.Select(c => new NbdClient { Identity = c.Identity, Psk = c.Psk }));
        return export;
    }

    /// <summary>qemu-img info of the export as client <paramref name="identity"/> with <paramref name="psk"/>: its exit code and what it said.</summary>
    private static async Task<(int Code, string Output)> InfoAsync(string key, int port, string identity, string psk)
    {
        var keys = Directory.CreateTempSubdirectory("cimi-nbd-client-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(keys.FullName, "keys.psk"), $"{identity}:{psk}\n");
            var info = new ProcessStartInfo("qemu-img",
            [
                "info", "--object", $"tls-creds-psk,id=tls0,endpoint=client,dir={keys.FullName},username={identity}",
                "--image-opts", $"driver=nbd,server.type=inet,server.host=127.0.0.1,server.port={port},export={key},tls-creds=tls0",
            ]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, output);
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> ServedAsync(string key, int port, string identity, string psk) =>
        await Eventually.Until(() => InfoAsync(key, port, identity, psk), r => r.Code == 0, $"the export of {key} on port {port} to serve {identity}");

    private static string NewPsk() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task A_volume_is_served_over_tls_only_to_listed_clients_survives_the_agent_and_stops_when_unlisted()
    {
        await using var agent = await VolumeAgent.StartAsync(nbdHost: "127.0.0.1");
        Assert.Equal("127.0.0.1", agent.Session.Register.NbdHost);
        var key = VolumeAgent.NewKey();
        Assert.True((await agent.Session.RunAsync(VolumeAgent.Create(key, 1, 64 * 1024, format: "raw"))).Succeeded);
        var port = FreePort();
        var (alice, alicePsk, bob, bobPsk) = ("m1", NewPsk(), "m2", NewPsk());

        agent.Session.Send(Exports(Export(key, port, (alice, alicePsk))));

        var served = await ServedAsync(key, port, alice, alicePsk);
        Assert.Contains("virtual size: 64 MiB", served.Output);
        Assert.NotEqual(0, (await InfoAsync(key, port, alice, NewPsk())).Code);
        Assert.NotEqual(0, (await InfoAsync(key, port, bob, bobPsk)).Code);

        // A client added later is admitted without restarting the daemon (it reads its key file at each handshake).
        var pidFile = Directory.EnumerateFiles(agent.ExportsDirectory, "pid", SearchOption.AllDirectories).Single();
        var pid = File.ReadAllText(pidFile).Trim();
        agent.Session.Send(Exports(Export(key, port, (alice, alicePsk), (bob, bobPsk))));
        await ServedAsync(key, port, bob, bobPsk);
        Assert.Equal(pid, File.ReadAllText(pidFile).Trim());

        // kill -9 of the agent: the export keeps serving, and the agent that comes back adopts the same daemon.
        await agent.KillAsync();
        Assert.Equal(0, (await InfoAsync(key, port, alice, alicePsk)).Code);
        await agent.RestartAsync();
        agent.Session.Send(Exports(Export(key, port, (bob, bobPsk))));
        await Eventually.Until(() => InfoAsync(key, port, alice, alicePsk), r => r.Code != 0, "the dropped client to be refused");
        Assert.Equal(0, (await InfoAsync(key, port, bob, bobPsk)).Code);
        Assert.Equal(pid, File.ReadAllText(pidFile).Trim());

        agent.Session.Send(Exports());
        await Eventually.Until(() => Task.FromResult(Directory.Exists(agent.ExportsDirectory) && Directory.EnumerateDirectories(agent.ExportsDirectory).Any()),
            any => !any, "the export's directory to go");
        Assert.False(Directory.Exists($"/proc/{pid}"), $"the export daemon {pid} still runs");
    }
}
