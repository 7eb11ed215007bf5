namespace CimiGrains.Gateway.Serialization;

/// <summary>A request the binding rejects before any grain sees it; carries the HTTP status and why.</summary>
public sealed class CimiRequestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static CimiRequestException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
