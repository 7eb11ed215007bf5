using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// Hands out VNIs from <see cref="First"/> upwards, the next one after the last handed out (wrapping around past
/// the 24-bit maximum), skipping those held. One grain for the cluster is enough: a VNI is asked for once per
/// Network, at its creation; a deterministic hash would need this table anyway to find its collisions.
/// </summary>
public sealed class NetworkVniAllocatorGrain(
    [PersistentState("networkVnis", "cimi")] IPersistentState<NetworkVniAllocatorState> state) : Grain, INetworkVniAllocatorGrain
{
    /// <summary>Low VNIs are left to operators' own VXLAN segments.</summary>
    public const uint First = 4096;

    /// <summary>VXLAN's 24-bit maximum.</summary>
    public const uint Last = (1u << 24) - 1;

    public async Task<uint> Allocate(string networkKey)
    {
        if (state.State.ByNetwork.TryGetValue(networkKey, out var held)) return held;
        var taken = state.State.ByNetwork.Values.ToHashSet();
        if (taken.Count > Last - First) throw CimiException.Conflict("Every VNI of the cluster is held by a Network; delete some Networks first.");
        var candidate = state.State.Last is var last and >= First and < Last ? last + 1 : First;
        while (taken.Contains(candidate)) candidate = candidate >= Last ? First : candidate + 1;
        state.State.ByNetwork = new Dictionary<string, uint>(state.State.ByNetwork) { [networkKey] = candidate };
        state.State.Last = candidate;
        await state.WriteStateAsync();
        return candidate;
    }

    public async Task Release(string networkKey)
    {
        if (!state.State.ByNetwork.ContainsKey(networkKey)) return;
        state.State.ByNetwork = state.State.ByNetwork.Where(p => p.Key != networkKey).ToDictionary(p => p.Key, p => p.Value);
        await state.WriteStateAsync();
    }
}

/// <summary>The VNI of every Network of the cluster, and the last one handed out.</summary>
[GenerateSerializer, Alias("cimi.state.NetworkVniAllocator")]
public sealed class NetworkVniAllocatorState
{
    [Id(0)] public IReadOnlyDictionary<string, uint> ByNetwork { get; set; } = new Dictionary<string, uint>();

    [Id(1)] public uint Last { get; set; }
}
