using System.Net;
using System.Threading.Channels;
using CimiGrains.Agents.Protocol;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// The cluster side of agent.proto played by the test itself (h2c on a loopback port), so a test can
/// send a real agent any command, stale ones included, and read exactly what the agent answers.
/// </summary>
public sealed class FakeController : IAsyncDisposable
{
    public const string Secret = "fake-controller-secret";

    private readonly Channel<FakeAgentSession> _sessions = Channel.CreateUnbounded<FakeAgentSession>();
    private WebApplication? _app;

    public int Port { get; private set; }
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>More gRPC services to serve beside the hub on the same port (a fake image store, say), as a silo does.</summary>
    public sealed record ServiceRegistration(Action<IServiceCollection> Services, Action<WebApplication> Map);

    public static async Task<FakeController> StartAsync(ServiceRegistration? extra = null)
    {
        var controller = new FakeController { Port = FreePorts.Take(1)[0] };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(controller);
        extra?.Services(builder.Services);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, controller.Port, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapGrpcService<Hub>();
        extra?.Map(app);
        await app.StartAsync();
        controller._app = app;
        return controller;
    }

    /// <summary>The next session an agent opens (after its Register), waiting up to a minute.</summary>
    public async Task<FakeAgentSession> NextSessionAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            return await _sessions.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("Timed out waiting for an agent to open a session with the fake controller.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }

    private sealed class Hub(FakeController controller) : AgentHub.AgentHubBase
    {
        public override async Task Connect(
            IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<ControllerMessage> responseStream, ServerCallContext context)
        {
            if (context.RequestHeaders.GetValue("x-cimi-agent-secret") != Secret)
                throw new RpcException(new Status(StatusCode.Unauthenticated, "The enrollment secret is wrong."));
            var ct = context.CancellationToken;
            if (!await requestStream.MoveNext(ct) || requestStream.Current.BodyCase != AgentMessage.BodyOneofCase.Register)
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Register first."));
            var session = new FakeAgentSession(requestStream.Current.Register);
            await responseStream.WriteAsync(new ControllerMessage { Registered = new Registered { SessionId = Guid.NewGuid().ToString("N"), Silo = "fake" } }, ct);
            controller._sessions.Writer.TryWrite(session);
            var writer = Task.Run(async () =>
            {
                await foreach (var message in session.Outbox.ReadAllAsync(ct)) await responseStream.WriteAsync(message, ct);
            }, ct);
            try
            {
                while (await requestStream.MoveNext(ct)) session.Receive(requestStream.Current);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or RpcException)
            {
                // The agent went away (killed by the test): the session simply ends.
            }
            finally
            {
                session.Close();
                await writer.ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
