namespace CimiGrains.Systems;

/// <summary>A SystemTemplate, keyed <c>{tenantId}/{localId}</c>. Create and Update check the whole template
/// (types, quantities, names, every reference and <c>#name</c>, nested templates without a cycle): a fault is
/// Invalid naming the component, and nothing is stored.</summary>
public interface ISystemTemplateGrain : ICimiResourceGrain<SystemTemplate>
{
}
