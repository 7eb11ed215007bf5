using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// One QMP connection to one VM (QEMU's JSON monitor on its unix socket). QEMU serves one client per
/// monitor socket at a time (a second client is not even greeted), so this one connection carries both the
/// agent's commands and QEMU's asynchronous events. Commands go one at a time, each with an <c>id</c> that QEMU
/// echoes in its reply: a reply that comes after its command timed out is told apart from the next command's
/// and dropped, so a short timeout (the sampler's) cannot hand one command another's answer.
/// <see cref="Closed"/> completes when QEMU goes away (the kernel closes the socket as the process dies).
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Action<string> _onEvent;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Pending? _pending;
    private long _lastId;

    /// <summary>The command awaiting its reply, and the id it was sent with.</summary>
    private sealed record Pending(long Id, TaskCompletionSource<JsonObject> Reply);

    private QmpClient(Socket socket, Action<string> onEvent)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, new UTF8Encoding(false));
        _onEvent = onEvent;
    }

    /// <summary>Completes when the connection ends.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects, reads QEMU's greeting and leaves negotiation mode; <paramref name="onEvent"/> gets
    /// each event's name as it arrives (on the reading thread: keep it short).</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, Action<string> onEvent, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        QmpClient? client = null;
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token);
            client = new QmpClient(socket, onEvent);
            var greeting = await client._reader.ReadLineAsync(deadline.Token);
            if (greeting is null || !greeting.Contains("\"QMP\"", StringComparison.Ordinal))
                throw new DriverException($"{socketPath} is not a QMP monitor (it said '{greeting}').");
            _ = client.ReadLoopAsync();
            await client.ExecuteAsync("qmp_capabilities", null, deadline.Token);
            return client;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            if (client is not null) await client.DisposeAsync();
            else socket.Dispose();
            throw new DriverException($"QEMU's monitor at {socketPath} does not answer: {e.Message}", e);
        }
        catch
        {
            if (client is not null) await client.DisposeAsync();
            else socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs one QMP command and returns its <c>return</c> value; an <c>error</c> reply is a
    /// <see cref="DriverException"/> with QEMU's description. Without <paramref name="timeout"/> the command waits
    /// its turn for as long as it takes and its reply up to 30 s; with one, the turn and the reply together are
    /// bounded by it (a <see cref="DriverException"/> when it passes).</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken ct, TimeSpan? timeout = null)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        if (timeout is { } bound)
        {
            if (!await _gate.WaitAsync(bound, ct)) throw new DriverException($"QEMU's monitor is busy: '{command}' did not get its turn within {bound.TotalMilliseconds:0} ms.");
        }
        else
        {
            await _gate.WaitAsync(ct);
        }
        try
        {
            if (_closed.Task.IsCompleted) throw new DriverException($"QEMU's monitor connection is closed (running '{command}').");
            var pending = new Pending(++_lastId, new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously));
            Volatile.Write(ref _pending, pending);
            // Closed between the check above and now: the reading loop has already failed what was pending.
            if (_closed.Task.IsCompleted) throw new DriverException($"QEMU's monitor connection is closed (running '{command}').");
            var request = new JsonObject { ["execute"] = command, ["id"] = pending.Id };
            if (arguments is not null) request["arguments"] = arguments;
            var bytes = Encoding.UTF8.GetBytes(request.ToJsonString() + "\n");
            try
            {
                await _stream.WriteAsync(bytes, ct);
                var wait = timeout is { } t ? t - started.Elapsed : TimeSpan.FromSeconds(30);
                var answer = await pending.Reply.Task.WaitAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, ct);
                if (answer["error"] is JsonObject error)
                    throw new DriverException($"QEMU refused '{command}': {error["desc"]?.GetValue<string>() ?? error.ToJsonString()}");
                return answer["return"];
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException)
            {
                throw new DriverException($"QEMU's monitor failed during '{command}': {e.Message}", e);
            }
            finally
            {
                Volatile.Write(ref _pending, null);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0) continue;
                JsonObject? message;
                try
                {
                    message = JsonNode.Parse(line) as JsonObject;
                }
                catch (System.Text.Json.JsonException)
                {
                    continue;
                }
                if (message is null) continue;
                if (message["event"]?.GetValue<string>() is { } name) _onEvent(name);
                else if (message.ContainsKey("return") || message.ContainsKey("error")) Answer(message);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The process died or the connection was disposed: both end the connection.
        }
        finally
        {
            Volatile.Read(ref _pending)?.Reply.TrySetException(new DriverException("QEMU closed its monitor connection."));
            _closed.TrySetResult();
        }
    }

    /// <summary>A reply to the pending command, if it is that command's: one with another id answers a command that
    /// timed out, and nobody waits for it any more. A reply without an id (QEMU could not parse the request) can only
    /// be the pending command's.</summary>
    private void Answer(JsonObject message)
    {
        if (Volatile.Read(ref _pending) is not { } pending) return;
        if (message["id"] is JsonValue id && (!id.TryGetValue<long>(out var number) || number != pending.Id)) return;
        pending.Reply.TrySetResult(message);
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
