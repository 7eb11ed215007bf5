using CimiGrains.Hosts;

namespace CimiGrains.Grains.Hosts;

// The host's side of CIMI Networks. ApplyNetwork is contract-only on the integration branch: the Machine-side
// work (issue13-machine) replaces it with the durable, resent-per-session implementation the contract describes.
public sealed partial class HostGrain
{
    public Task ApplyNetwork(NetworkHostView view) =>
        throw new NotSupportedException("Networks are not wired to hosts yet (issue 13 integration branch).");

    public Task<string?> GetUnderlayAddress() => Task.FromResult(state.State.Registration?.UnderlayAddress);
}
