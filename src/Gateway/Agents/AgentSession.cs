using System.Threading.Channels;
using CimiGrains.Agents.Protocol;
using CimiGrains.Hosts;

namespace CimiGrains.Gateway.Agents;

/// <summary>
/// One connected agent as the cluster sees it: the observer its host grain calls (from any silo) and
/// the outbox that the gRPC handler drains onto the stream. The stream has one writer, this outbox.
/// A console read is queued like a command; its answer goes to the host grain, which waits for it.
/// </summary>
public sealed class AgentSession(string hostId, string sessionId) : IAgentObserver
{
    private readonly Channel<ControllerMessage> _outbox = Channel.CreateUnbounded<ControllerMessage>(
        new UnboundedChannelOptions { SingleReader = true });

    public string HostId => hostId;
    public string SessionId => sessionId;
    public ChannelReader<ControllerMessage> Outbox => _outbox.Reader;

    public Task Deliver(HostCommand command)
    {
        if (!_outbox.Writer.TryWrite(AgentMessages.ToWire(command)))
            throw new InvalidOperationException($"The session {sessionId} of host '{hostId}' has closed.");
        return Task.CompletedTask;
    }

    public Task RemoveImage(string imageLocation)
    {
        if (!_outbox.Writer.TryWrite(new ControllerMessage { RemoveImage = new RemoveImage { ImageLocation = imageLocation } }))
            throw new InvalidOperationException($"The session {sessionId} of host '{hostId}' has closed.");
        return Task.CompletedTask;
    }

    public Task ExportVolumes(IReadOnlyList<Hosts.VolumeExport> exports)
    {
        if (!_outbox.Writer.TryWrite(AgentMessages.ToWire(exports)))
            throw new InvalidOperationException($"The session {sessionId} of host '{hostId}' has closed.");
        return Task.CompletedTask;
    }

    public Task ApplyNetwork(NetworkHostView view)
    {
        if (!_outbox.Writer.TryWrite(AgentMessages.ToWire(view)))
            throw new InvalidOperationException($"The session {sessionId} of host '{hostId}' has closed.");
        return Task.CompletedTask;
    }

    public Task<string> Ping() =>
        _outbox.Reader.Completion.IsCompleted
            ? throw new InvalidOperationException($"The session {sessionId} of host '{hostId}' has closed.")
            : Task.FromResult(sessionId);

    public Task RequestConsole(string requestId, HostedKind kind, string resourceKey, int maxBytes)
    {
        var request = new ConsoleRequest { RequestId = requestId, ResourceKind = AgentMessages.ToWire(kind), ResourceId = resourceKey, MaxBytes = maxBytes };
        if (!_outbox.Writer.TryWrite(new ControllerMessage { ConsoleRequest = request }))
            throw new InvalidOperationException($"The session {sessionId} of host '{hostId}' has closed.");
        return Task.CompletedTask;
    }

    /// <summary>Sends a message the session itself originates (reconciliation removals, the welcome).</summary>
    public void Send(ControllerMessage message) => _outbox.Writer.TryWrite(message);

    public void Close() => _outbox.Writer.TryComplete();
}
