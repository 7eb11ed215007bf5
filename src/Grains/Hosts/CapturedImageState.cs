namespace CimiGrains.Grains.Hosts;

/// <summary>What a captured-image grain persists: the tenant whose Machine was captured and the hosts
/// the capture was sent to.</summary>
[GenerateSerializer, Alias("cimi.state.CapturedImage")]
public sealed class CapturedImageState
{
    [Id(0)] public string? TenantId { get; set; }

    [Id(1)] public HashSet<string> Hosts { get; set; } = new(StringComparer.Ordinal);
}
