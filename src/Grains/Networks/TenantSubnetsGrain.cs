using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// One tenant's Network subnets. A Network that names none gets the first 10.x.y.0/24 (x from 1, y from 0) that
/// overlaps none of the tenant's: Networks of different tenants never meet, so they may reuse each other's
/// subnets. A named subnet is recorded as given: two Networks of a tenant may overlap until a ForwardingGroup
/// would join them (it refuses then).
/// </summary>
public sealed class TenantSubnetsGrain(
    [PersistentState("tenantSubnets", "cimi")] IPersistentState<TenantSubnetsState> state) : Grain, ITenantSubnetsGrain
{
    public async Task<string> Reserve(string networkKey, string? subnet)
    {
        if (state.State.ByNetwork.TryGetValue(networkKey, out var held)) return held;
        var chosen = subnet is not null ? Ipv4Subnet.Parse(subnet, "subnet").ToString() : Pick();
        state.State.ByNetwork = new Dictionary<string, string>(state.State.ByNetwork) { [networkKey] = chosen };
        await state.WriteStateAsync();
        return chosen;
    }

    public Task<IReadOnlyDictionary<string, string>> All() => Task.FromResult(state.State.ByNetwork);

    public async Task Release(string networkKey)
    {
        if (!state.State.ByNetwork.ContainsKey(networkKey)) return;
        state.State.ByNetwork = state.State.ByNetwork.Where(p => p.Key != networkKey).ToDictionary(p => p.Key, p => p.Value);
        await state.WriteStateAsync();
    }

    private string Pick()
    {
        var used = state.State.ByNetwork.Values.Select(s => Ipv4Subnet.Parse(s, "subnet")).ToList();
        for (uint x = 1; x < 256; x++)
        {
            for (uint y = 0; y < 256; y++)
            {
                var candidate = new Ipv4Subnet((10u << 24) | (x << 16) | (y << 8), 24);
                if (!used.Any(candidate.Overlaps)) return candidate.ToString();
            }
        }
        throw CimiException.Conflict("The tenant's Networks use every /24 of 10.0.0.0/8; name a 'subnet' in the NetworkConfiguration.");
    }
}

/// <summary>The subnet of each of a tenant's Networks, by Network key.</summary>
[GenerateSerializer, Alias("cimi.state.TenantSubnets")]
public sealed class TenantSubnetsState
{
    [Id(0)] public IReadOnlyDictionary<string, string> ByNetwork { get; set; } = new Dictionary<string, string>();
}
