using System.Collections.Concurrent;
using System.Threading.Channels;
using CimiGrains.Agents.Protocol;
using CimiGrains.Hosts;
using CimiGrains.Machines;

namespace CimiGrains.Gateway.Agents;

/// <summary>
/// One connected agent as the cluster sees it: the observer its host grain calls (from any silo) and
/// the outbox that the gRPC handler drains onto the stream. The stream has one writer, this outbox.
/// Console reads are the one request the cluster waits on an answer for: each carries an id, and the
/// agent's ConsoleTail with that id completes it (<see cref="OnConsoleTail"/>).
/// </summary>
public sealed class AgentSession(string hostId, string sessionId) : IAgentObserver
{
    /// <summary>Console reads one session carries at once: each answer may be a MiB, and a consumer polling
    /// many consoles of one host must not fill the silo's memory or the agent's stream.</summary>
    public const int MaxConsoleReads = 16;

    private readonly Channel<ControllerMessage> _outbox = Channel.CreateUnbounded<ControllerMessage>(
        new UnboundedChannelOptions { SingleReader = true });

    private readonly ConcurrentDictionary<string, TaskCompletionSource<ConsoleOutput>> _consoleReads = new(StringComparer.Ordinal);

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

    public Task<string> Ping() =>
        _outbox.Reader.Completion.IsCompleted
            ? throw new InvalidOperationException($"The session {sessionId} of host '{hostId}' has closed.")
            : Task.FromResult(sessionId);

    public async Task<ConsoleOutput> ReadConsole(HostedKind kind, string resourceKey, int maxBytes)
    {
        if (_consoleReads.Count >= MaxConsoleReads)
            throw new CimiException(CimiErrorKind.Unavailable, $"host '{hostId}' is answering {MaxConsoleReads} console reads already; retry shortly.");
        var requestId = Guid.NewGuid().ToString("N");
        var answer = new TaskCompletionSource<ConsoleOutput>(TaskCreationOptions.RunContinuationsAsynchronously);
        _consoleReads[requestId] = answer;
        try
        {
            var request = new ConsoleRequest
            {
                RequestId = requestId, ResourceKind = AgentMessages.ToWire(kind), ResourceId = resourceKey, MaxBytes = maxBytes,
            };
            if (!_outbox.Writer.TryWrite(new ControllerMessage { ConsoleRequest = request }))
                throw new CimiException(CimiErrorKind.Unavailable, $"the agent session of host '{hostId}' has closed.");
            // The close of the session fails the read at once (see Close); an agent that never answers
            // (one that predates consoles ignores the request) is waited for this long only.
            return await answer.Task.WaitAsync(MachineConsole.AnswerTimeout);
        }
        catch (TimeoutException)
        {
            throw new CimiException(CimiErrorKind.Unavailable,
                $"the agent of host '{hostId}' did not answer the console request within {MachineConsole.AnswerTimeout.TotalSeconds:0} s " +
                "(an agent older than the console extension never does).");
        }
        finally
        {
            _consoleReads.TryRemove(requestId, out _);
        }
    }

    /// <summary>The agent's answer to a console read; one for a read no longer waited for is dropped.</summary>
    public void OnConsoleTail(ConsoleTail tail)
    {
        if (!_consoleReads.TryRemove(tail.RequestId, out var answer)) return;
        answer.TrySetResult(tail.Error is { Length: > 0 } error
            ? new ConsoleOutput(null, AgentMessages.AgentText(error))
            : new ConsoleOutput(tail.Text, null));
    }

    /// <summary>Sends a message the session itself originates (reconciliation removals, the welcome).</summary>
    public void Send(ControllerMessage message) => _outbox.Writer.TryWrite(message);

    public void Close()
    {
        _outbox.Writer.TryComplete();
        // Reads still waiting would otherwise wait out their timeout for an answer that cannot come.
        foreach (var read in _consoleReads.Values)
            read.TrySetException(new CimiException(CimiErrorKind.Unavailable, $"the agent session of host '{hostId}' ended before it answered."));
    }
}
