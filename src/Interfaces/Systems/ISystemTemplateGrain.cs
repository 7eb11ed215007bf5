namespace CimiGrains.Systems;

/// <summary>A SystemTemplate, keyed <c>{tenantId}/{localId}</c>. Create and Update check the whole template
/// (types, quantities, names, every reference and <c>#name</c>, nested templates without a cycle): a fault is
/// Invalid naming the component, and nothing is stored.</summary>
public interface ISystemTemplateGrain : ICimiResourceGrain<SystemTemplate>
{
    /// <summary>The template with every template it names by reference given by value, down to configurations and
    /// images (what an export writes; passwords included, for the writer to leave out). NotFound when it does not exist.</summary>
    Task<SystemTemplate> GetByValue();
}
