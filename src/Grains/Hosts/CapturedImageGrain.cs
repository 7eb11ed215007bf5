using CimiGrains.Grains.Images;
using CimiGrains.Hosts;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// The hosts holding one captured image. Host grains record a capture here before sending it; the
/// MachineImage grain releases it when its MachineImage is deleted, which hands the removal to each host
/// grain (durable there, carried out by the agent once no container uses the image), and deletes the
/// capture's bytes from the cluster image store. Hosts that fetched the capture from the store are
/// recorded here too (by the gateway's image store service), so every copy is reclaimed.
/// </summary>
public sealed partial class CapturedImageGrain(
    [PersistentState("capturedImage", "cimi")] IPersistentState<CapturedImageState> state,
    ImageStoreDatabase store,
    ILogger<CapturedImageGrain> logger) : Grain, ICapturedImageGrain
{
    private string ImageLocation => this.GetPrimaryKeyString();

    public async Task HeldBy(string hostId, string tenantId)
    {
        if (state.State.TenantId is { } owner && owner != tenantId)
            throw CimiException.Conflict($"The image location '{ImageLocation}' belongs to another tenant.");
        if (state.State.TenantId == tenantId && !state.State.Hosts.Add(hostId)) return;
        state.State.TenantId = tenantId;
        state.State.Hosts.Add(hostId);
        await state.WriteStateAsync();
    }

    public async Task Release(string tenantId)
    {
        if (state.State.TenantId != tenantId || state.State.Hosts.Count == 0)
        {
            DeactivateOnIdle();
            return;
        }
        // Each host grain records the removal durably before this record goes: a crash in between
        // repeats the release (removal requests are idempotent), it never loses one.
        await Task.WhenAll(state.State.Hosts.Select(h => GrainFactory.GetGrain<IHostGrain>(h).RemoveImage(ImageLocation)));
        // Then the stored bytes (idempotent too). A Machine already running from the capture keeps its
        // host's copy until it is deleted; a new Machine from it can no longer be made anywhere.
        await store.DeleteAsync(ImageLocation, StoredImage.CaptureKind, tenantId, CancellationToken.None);
        LogReleased(ImageLocation, string.Join(", ", state.State.Hosts));
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    public Task<string?> GetOwner() => Task.FromResult(state.State.Hosts.Count > 0 ? state.State.TenantId : null);

    public Task<IReadOnlyList<string>> GetHosts() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Hosts.Order(StringComparer.Ordinal)]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Captured image {ImageLocation} released: removal requested from {Hosts}")]
    private partial void LogReleased(string imageLocation, string hosts);
}
