using System.Security.Cryptography;
using CimiGrains.Grains.Hosting;
using CimiGrains.Grains.Machines;
using CimiGrains.Grains.Security;
using CimiGrains.ReadModel;
using CimiGrains.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// The test silos get the grains' whole wiring from <c>AddCimiGrains</c>, as the Gateway's silo does:
/// not a hand-copied subset (before, they had no secret sealing, no System.Text.Json state and no
/// silo-start recovery).
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class SiloWiringTests(GrainClusterFixture fixture)
{
    [Fact]
    public void Every_test_silo_has_the_read_side_tenants_sealing_state_serializer_and_recovery()
    {
        Assert.NotEmpty(fixture.Cluster.Silos);
        foreach (var silo in fixture.Cluster.Silos)
        {
            var services = silo.ServiceProvider;
            Assert.NotNull(services.GetService<IResourceReader>());
            Assert.NotNull(services.GetService<ITenantDirectory>());
            Assert.NotNull(services.GetService<SecretProtector>());
            Assert.Contains("SystemTextJson", services.GetRequiredService<IGrainStorageSerializer>().GetType().Name, StringComparison.Ordinal);
            Assert.Contains(services.GetServices<ILifecycleParticipant<ISiloLifecycle>>(), p => p is PendingMachineRecovery);
        }
    }

    [Fact]
    public void Options_the_grains_cannot_use_are_refused_naming_the_option()
    {
        var keys = new SecretKeyRing(RandomNumberGenerator.GetBytes(32));
        Assert.Contains("ReadModelConnectionString", new CimiGrainsOptions { SecretKeys = keys }.Problem());
        Assert.Contains("HostReconnectGrace",
            new CimiGrainsOptions { SecretKeys = keys, ReadModelConnectionString = "Host=db", HostReconnectGrace = TimeSpan.FromSeconds(-1) }.Problem());
        Assert.Null(new CimiGrainsOptions { SecretKeys = keys, ReadModelConnectionString = "Host=db" }.Problem());
    }
}
