using System.Collections.Concurrent;
using System.Threading.Channels;
using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents;

/// <summary>One agent's session with the <see cref="FakeController"/>: what it sent, and a way to command it.</summary>
public sealed class FakeAgentSession(Register register)
{
    private readonly Channel<ControllerMessage> _outbox = Channel.CreateUnbounded<ControllerMessage>();
    private readonly TaskCompletionSource<Inventory> _inventory = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Report>> _results = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<AgentMessage> _received = new();

    public Register Register => register;
    public ChannelReader<ControllerMessage> Outbox => _outbox.Reader;

    /// <summary>Everything the agent sent after its Register, in order.</summary>
    public IReadOnlyList<AgentMessage> Received => [.. _received];

    public Task<Inventory> InventoryAsync() => _inventory.Task.WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>Sends a command and waits for the agent's result for it.</summary>
    public async Task<Report> RunAsync(Command command, TimeSpan? timeout = null)
    {
        var result = _results.GetOrAdd(command.CommandId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        Send(new ControllerMessage { Command = command });
        try
        {
            return await result.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out waiting for the agent's result of {command.Kind} {command.CommandId}.");
        }
    }

    public void Send(ControllerMessage message)
    {
        if (!_outbox.Writer.TryWrite(message)) throw new InvalidOperationException("The agent's session has ended.");
    }

    internal void Receive(AgentMessage message)
    {
        _received.Enqueue(message);
        switch (message.BodyCase)
        {
            case AgentMessage.BodyOneofCase.Inventory:
                _inventory.TrySetResult(message.Inventory);
                break;
            case AgentMessage.BodyOneofCase.Report when message.Report.CommandId.Length > 0:
                _results.GetOrAdd(message.Report.CommandId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously))
                    .TrySetResult(message.Report);
                break;
        }
    }

    internal void Close() => _outbox.Writer.TryComplete();
}
