namespace CimiGrains.Grains.Meters;

/// <summary>The key of a resource's <see cref="CimiGrains.Meters.IMeteredResourceGrain"/>: <c>{tenantId}/{resourceId}</c>.</summary>
public static class MeteredResources
{
    public static string Key(string tenantId, string resourceId) => $"{tenantId}/{resourceId}";
}
