using CimiGrains.Tenancy;
using Npgsql;

namespace CimiGrains.Grains.Tenants;

/// <summary>
/// Tenants and their users, in PostgreSQL (<c>cimi_tenant</c>, <c>cimi_user</c>). Passwords are stored
/// only as PBKDF2 hashes and never leave this class.
/// </summary>
public sealed class TenantDirectory(NpgsqlDataSource dataSource) : ITenantDirectory
{
    public const string OperatorTenant = TenantNames.OperatorTenant;

    public static bool IsValidUserName(string userName) => TenantNames.IsValidUserName(userName);

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
        // Hashed before the transaction opens: no connection is held while PBKDF2 runs.
        var hash = await PasswordHasher.HashAsync(password, ct);
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
            user.Parameters.Add(new() { Value = hash });
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

    /// <summary>
    /// Creates or (with <paramref name="replace"/>) re-keys a user, and returns the role it has afterwards;
    /// null when the user name is taken and <paramref name="replace"/> is false, or belongs to another
    /// tenant. A null <paramref name="role"/> makes a new user a plain <c>user</c> and leaves an existing
    /// user's role as it is: a re-key changes the password, never silently the privileges.
    /// Every re-key raises the user's credential stamp, which revokes cached logins on every gateway.
    /// </summary>
    public async Task<string?> SetUserAsync(string tenantId, string userName, string password, string? role, bool replace, CancellationToken ct = default)
    {
        var sql = replace
            ? """
              INSERT INTO cimi_user (tenant_id, username, password_hash, role) VALUES ($1, $2, $3, COALESCE($4, 'user'))
              ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                  role = COALESCE($4, cimi_user.role), credential_stamp = cimi_user.credential_stamp + 1
              WHERE cimi_user.tenant_id = EXCLUDED.tenant_id
              RETURNING role
              """
            : """
              INSERT INTO cimi_user (tenant_id, username, password_hash, role) VALUES ($1, $2, $3, COALESCE($4, 'user'))
              ON CONFLICT (username) DO NOTHING
              RETURNING role
              """;
        var hash = await PasswordHasher.HashAsync(password, ct);
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = userName });
        cmd.Parameters.Add(new() { Value = hash });
        cmd.Parameters.Add(new() { Value = (object?)role ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>
    /// The user, with its current credential stamp, when the password matches; null otherwise. An unknown
    /// user costs the same PBKDF2 work as a wrong password. A hash older than today's work factor is
    /// upgraded here, on a successful login (the only time the password is known).
    /// </summary>
    public async Task<VerifiedUser?> AuthenticateAsync(string userName, string password, CancellationToken ct = default)
    {
        string? hash = null;
        VerifiedUser? found = null;
        await using (var cmd = dataSource.CreateCommand(
            "SELECT tenant_id, password_hash, role, credential_stamp FROM cimi_user WHERE username = $1"))
        {
            cmd.Parameters.Add(new() { Value = userName });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                hash = reader.GetString(1);
                found = new VerifiedUser(new TenantUser(reader.GetString(0), userName, reader.GetString(2)), reader.GetInt64(3));
            }
        }
        if (found is null || hash is null)
        {
            await PasswordHasher.VerifyAgainstDummyAsync(password, ct);
            return null;
        }
        if (!await PasswordHasher.VerifyAsync(password, hash, ct)) return null;
        if (PasswordHasher.NeedsRehash(hash))
        {
            // Only if the hash is still the one just verified: a re-key that raced this login wins.
            var stronger = await PasswordHasher.HashAsync(password, ct);
            await using var upgrade = dataSource.CreateCommand(
                "UPDATE cimi_user SET password_hash = $3 WHERE username = $1 AND password_hash = $2");
            upgrade.Parameters.Add(new() { Value = userName });
            upgrade.Parameters.Add(new() { Value = hash });
            upgrade.Parameters.Add(new() { Value = stronger });
            await upgrade.ExecuteNonQueryAsync(ct);
        }
        return found;
    }

    /// <summary>
    /// The user's tenant, role and credential stamp by primary key, without any hashing: what a gateway
    /// checks on every request that a cached login is still current. Null when the user no longer exists.
    /// </summary>
    public async Task<VerifiedUser?> FindUserAsync(string userName, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT tenant_id, role, credential_stamp FROM cimi_user WHERE username = $1");
        cmd.Parameters.Add(new() { Value = userName });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new VerifiedUser(new TenantUser(reader.GetString(0), userName, reader.GetString(1)), reader.GetInt64(2))
            : null;
    }
}

