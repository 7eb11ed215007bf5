namespace CimiGrains.Networks;

/// <summary>An AddressTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IAddressTemplateGrain : ICimiResourceGrain<AddressTemplate>;
