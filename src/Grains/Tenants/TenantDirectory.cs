using Npgsql;

namespace CimiGrains.Grains.Tenants;

/// <summary>
/// Tenants and their users, in PostgreSQL (<c>cimi_tenant</c>, <c>cimi_user</c>). Passwords are stored
/// only as PBKDF2 hashes and never leave this class.
/// </summary>
public sealed class TenantDirectory(NpgsqlDataSource dataSource)
{
    public const string OperatorTenant = "system";

    /// <summary>Creates the tenant if it does not exist; true when it was created.</summary>
    public async Task<bool> EnsureTenantAsync(string tenantId, string name, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO cimi_tenant (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING");
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = name });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Creates a tenant together with its first user, atomically: either both exist afterwards or
    /// neither does. Returns null on success, else what conflicted.
    /// </summary>
    public async Task<string?> CreateTenantAsync(string tenantId, string name, string userName, string password, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var tenant = new NpgsqlCommand(
            "INSERT INTO cimi_tenant (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", connection, tx))
        {
            tenant.Parameters.Add(new() { Value = tenantId });
            tenant.Parameters.Add(new() { Value = name });
            if (await tenant.ExecuteNonQueryAsync(ct) == 0) return $"Tenant '{tenantId}' already exists.";
        }
        await using (var user = new NpgsqlCommand(
            "INSERT INTO cimi_user (tenant_id, username, password_hash, role) VALUES ($1, $2, $3, 'user') ON CONFLICT (username) DO NOTHING",
            connection, tx))
        {
            user.Parameters.Add(new() { Value = tenantId });
            user.Parameters.Add(new() { Value = userName });
            user.Parameters.Add(new() { Value = PasswordHasher.Hash(password) });
            if (await user.ExecuteNonQueryAsync(ct) == 0) return $"User '{userName}' already exists.";
        }
        await tx.CommitAsync(ct);
        return null;
    }

    public async Task<Tenant?> GetTenantAsync(string tenantId, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, name, created FROM cimi_tenant WHERE id = $1");
        cmd.Parameters.Add(new() { Value = tenantId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new Tenant(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2))
            : null;
    }

    /// <summary>Creates or (with <paramref name="replace"/>) re-keys a user. False when the user name
    /// is taken and <paramref name="replace"/> is false, or belongs to another tenant.</summary>
    public async Task<bool> SetUserAsync(string tenantId, string userName, string password, string role, bool replace, CancellationToken ct = default)
    {
        var sql = replace
            ? """
              INSERT INTO cimi_user (tenant_id, username, password_hash, role) VALUES ($1, $2, $3, $4)
              ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role
              WHERE cimi_user.tenant_id = EXCLUDED.tenant_id
              """
            : "INSERT INTO cimi_user (tenant_id, username, password_hash, role) VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING";
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = userName });
        cmd.Parameters.Add(new() { Value = PasswordHasher.Hash(password) });
        cmd.Parameters.Add(new() { Value = role });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The user's tenant and role when the password matches; null otherwise.</summary>
    public async Task<TenantUser?> AuthenticateAsync(string userName, string password, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT tenant_id, password_hash, role FROM cimi_user WHERE username = $1");
        cmd.Parameters.Add(new() { Value = userName });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var (tenantId, hash, role) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        return PasswordHasher.Verify(password, hash) ? new TenantUser(tenantId, userName, role) : null;
    }
}

/// <summary>A tenant: every CIMI resource belongs to exactly one.</summary>
public sealed record Tenant(string Id, string Name, DateTimeOffset Created);

/// <summary>An authenticated user: the tenant it acts for and its role (<c>user</c> or <c>admin</c>).</summary>
public sealed record TenantUser(string TenantId, string UserName, string Role);
