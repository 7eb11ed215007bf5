namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// One Gateway on its own database, shared by the HTTP test classes of the "gateway" collection:
/// each test makes its own tenant, so tests stay independent without paying a start per test.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;
    public string Postgres { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Postgres = await TestDatabase.CreateAsync("gateway");
        Gateway = await GatewayProcess.StartAsync(Postgres);
    }

    public async Task DisposeAsync() => await Gateway.DisposeAsync();

    public Task<CimiClient> NewTenantAsync() => Tenants.CreateAsync(Gateway);
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
