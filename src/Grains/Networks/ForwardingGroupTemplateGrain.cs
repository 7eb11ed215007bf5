using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

public sealed class ForwardingGroupTemplateGrain(
    [PersistentState("forwardingGroupTemplate", "cimi")] IPersistentState<ResourceState<ForwardingGroupTemplate>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<ForwardingGroupTemplate>(state, readModel, ForwardingGroupTemplateRegistration.Type.Kind), IForwardingGroupTemplateGrain
{
    public const int MaxNetworks = 64;

    protected override async Task<ForwardingGroupTemplate> ValidateAsync(ForwardingGroupTemplate document)
    {
        foreach (var href in Check(document))
            await References.ResolveAsync<INetworkGrain, Network>(GrainFactory, TenantId, NetworkRegistration.Type.Kind, "networks", href);
        return document;
    }

    /// <summary>The template's Network hrefs, each once, after its own checks.</summary>
    public static IReadOnlyList<string> Check(ForwardingGroupTemplate t)
    {
        CommonValidation.Check(t);
        var hrefs = (t.Networks ?? []).Select(n => n.Href).ToList();
        if (hrefs.Count > MaxNetworks) throw CimiException.Invalid($"A ForwardingGroup joins at most {MaxNetworks} Networks, not {hrefs.Count}.");
        if (hrefs.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw CimiException.Invalid($"'networks' names Network '{twice.Key}' twice.");
        return hrefs;
    }

    public static ForwardingGroupTemplate Merge(ForwardingGroupTemplate referenced, ForwardingGroupTemplate overrides) => referenced with
    {
        Networks = overrides.Networks ?? referenced.Networks,
    };
}
