using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Networks;

public sealed partial class LinuxNetworkPlane
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Network {NetworkId}: made {Device}")]
    private partial void LogMade(string device, string networkId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Network plane: removed {Device}")]
    private partial void LogRemoved(string device);

    [LoggerMessage(Level = LogLevel.Information, Message = "Network {NetworkId}: state version {Version} applied (started {Started}, {Endpoints} remote endpoints)")]
    private partial void LogApplied(string networkId, long version, bool started, int endpoints);

    [LoggerMessage(Level = LogLevel.Information, Message = "Network {NetworkId}: state version {Version} ignored, version {Applied} is applied")]
    private partial void LogStale(string networkId, long version, long applied);

    [LoggerMessage(Level = LogLevel.Information, Message = "Interface {InterfaceId}: {Port} plugged into Network {NetworkId} (process or uid {Owner})")]
    private partial void LogPlugged(string interfaceId, string port, string networkId, int owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Network plane reconciled: {Interfaces} interfaces and {Networks} Networks kept, {Removed} leftover devices removed")]
    private partial void LogReconciled(int interfaces, int networks, int removed);
}
