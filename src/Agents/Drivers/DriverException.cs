namespace CimiGrains.Agents.Drivers;

/// <summary>A driver could not do what was asked; the message is reported to the Machine's Job.</summary>
public sealed class DriverException(string message, Exception? inner = null) : Exception(message, inner);
