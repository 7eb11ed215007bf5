using CimiGrains.Credentials;
using CimiGrains.Machines;
using Npgsql;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Issue 9, finding 3, at the grain: a grain never writes state that its read-model row could not
/// hold, and when the read-model write fails after the state write, the grain does not keep (or
/// serve) a state the read model does not have.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class WholeWriteTests(GrainClusterFixture fixture)
{
    [Theory]
    [InlineData("a\u0000b")]
    [InlineData("x\uffff")]
    [InlineData("x\u001b")]
    // (A lone surrogate cannot be sent to a grain: Orleans' string codec replaces it in transit. The
    // Gateway rejects it before that; MalformedInputTests shows it.)
    public async Task A_grain_refuses_text_its_read_model_cannot_hold_and_stores_nothing(string name)
    {
        var tenant = GrainClusterFixture.NewTenant();
        var grain = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));

        var error = await Assert.ThrowsAsync<CimiException>(() => grain.Create(new MachineConfiguration { Name = name, Cpu = 1, Memory = 65536 }));
        Assert.Equal(CimiErrorKind.Invalid, error.Kind);
        Assert.Contains("'name'", error.Message);
        Assert.Null(await grain.GetInternal());
        Assert.Equal(0, await RowsAsync(tenant));
    }

    [Fact]
    public async Task A_grain_checks_every_text_attribute_not_only_the_common_ones()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var grain = fixture.Grains.GetGrain<ICredentialTemplateGrain>(GrainKeys.Of(tenant, "ct"));
        var error = await Assert.ThrowsAsync<CimiException>(() => grain.Create(new CredentialTemplate { Key = "ssh-ed25519 AAAA\u0000" }));
        Assert.Contains("'key'", error.Message);
        Assert.Null(await grain.GetInternal());
    }

    [Fact]
    public async Task A_failed_projection_of_a_create_leaves_no_resource()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var grain = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        await using (await ProjectionFault.BeginAsync(fixture.DataSource, tenant))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => grain.Create(new MachineConfiguration { Name = "new", Cpu = 1, Memory = 65536 }));
            Assert.Null(await grain.GetInternal());
        }
        await Assert.ThrowsAsync<CimiException>(() => grain.Get());
        Assert.Equal(0, await RowsAsync(tenant));
        // The id is free again: the create can be retried whole.
        await grain.Create(new MachineConfiguration { Name = "new", Cpu = 1, Memory = 65536 });
        Assert.Equal("new", await NameInReadModelAsync(tenant));
    }

    [Fact]
    public async Task A_failed_projection_of_an_update_is_undone_and_the_old_resource_stays_served()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var grain = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        await grain.Create(new MachineConfiguration { Name = "old", Cpu = 1, Memory = 65536 });
        await using (await ProjectionFault.BeginAsync(fixture.DataSource, tenant, onlyName: "new"))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => grain.Update(new MachineConfiguration { Name = "new", Cpu = 2, Memory = 65536 }));
            Assert.Equal("old", (await grain.GetInternal())?.Name);
            Assert.Equal("old", await NameInReadModelAsync(tenant));
        }
        // Durable too: a fresh activation reads the old state.
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal("old", (await grain.Get()).Name);
        Assert.Equal(1, (await grain.Get()).Cpu);
    }

    [Fact]
    public async Task A_grain_that_cannot_undo_a_failed_projection_serves_nothing_until_the_read_model_has_its_state()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var grain = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        await grain.Create(new MachineConfiguration { Name = "old", Cpu = 1, Memory = 65536 });
        await using (await ProjectionFault.BeginAsync(fixture.DataSource, tenant))
        {
            // Every row write of the tenant fails, the undo's included: the grain deactivates, and a new
            // activation must project before it answers, so it refuses rather than serve an unlisted state.
            await Assert.ThrowsAnyAsync<Exception>(() => grain.Update(new MachineConfiguration { Name = "new", Cpu = 2, Memory = 65536 }));
            await Assert.ThrowsAnyAsync<Exception>(() => grain.Get());
            Assert.Equal("old", await NameInReadModelAsync(tenant));
        }
        // The read model takes writes again: the next activation projects the durable state and serves it.
        var served = await grain.Get();
        Assert.Equal(served.Name, await NameInReadModelAsync(tenant));
        Assert.Equal("old", served.Name);
    }

    private async Task<long> RowsAsync(string tenant)
    {
        await using var cmd = fixture.DataSource.CreateCommand("SELECT count(*) FROM cimi_resource WHERE tenant_id = $1");
        cmd.Parameters.Add(new() { Value = tenant });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<string?> NameInReadModelAsync(string tenant)
    {
        await using var cmd = fixture.DataSource.CreateCommand("SELECT name FROM cimi_resource WHERE tenant_id = $1");
        cmd.Parameters.Add(new() { Value = tenant });
        return (string?)await cmd.ExecuteScalarAsync();
    }

    /// <summary>
    /// Makes the read-model writes of one tenant fail (all, or those of rows with one name): a trigger
    /// that raises for what a table lists, standing for the database refusing the projection after the
    /// grain state was written.
    /// </summary>
    private sealed class ProjectionFault(NpgsqlDataSource db, string tenant) : IAsyncDisposable
    {
        public static async Task<ProjectionFault> BeginAsync(NpgsqlDataSource db, string tenant, string? onlyName = null)
        {
            await using (var setup = db.CreateCommand("""
                CREATE TABLE IF NOT EXISTS test_projection_fault (tenant_id text NOT NULL, name text);
                CREATE OR REPLACE FUNCTION test_projection_fault() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM test_projection_fault WHERE tenant_id = NEW.tenant_id AND (name IS NULL OR name = NEW.name)) THEN
                        RAISE EXCEPTION 'injected read-model failure for tenant %', NEW.tenant_id;
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE OR REPLACE TRIGGER test_projection_fault BEFORE INSERT OR UPDATE ON cimi_resource
                    FOR EACH ROW EXECUTE FUNCTION test_projection_fault();
                """))
            {
                await setup.ExecuteNonQueryAsync();
            }
            await using var on = db.CreateCommand("INSERT INTO test_projection_fault VALUES ($1, $2)");
            on.Parameters.Add(new() { Value = tenant });
            on.Parameters.Add(new() { Value = (object?)onlyName ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await on.ExecuteNonQueryAsync();
            return new ProjectionFault(db, tenant);
        }

        public async ValueTask DisposeAsync()
        {
            await using var off = db.CreateCommand("DELETE FROM test_projection_fault WHERE tenant_id = $1");
            off.Parameters.Add(new() { Value = tenant });
            await off.ExecuteNonQueryAsync();
        }
    }
}
