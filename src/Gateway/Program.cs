using CimiGrains.Gateway.Admin;
using CimiGrains.Gateway.Agents;
using CimiGrains.Gateway.CloudEntryPoint;
using CimiGrains.Gateway.Credentials;
using CimiGrains.Gateway.Events;
using CimiGrains.Gateway.Hosting;
using CimiGrains.Gateway.Images;
using CimiGrains.Gateway.Machines;
using CimiGrains.Gateway.Meters;
using CimiGrains.Gateway.Networks;
using CimiGrains.Gateway.Systems;
using CimiGrains.Gateway.Volumes;
using CimiGrains.Gateway.ResourceMetadata;
using CimiGrains.Gateway.Resources;
using CimiGrains.Gateway.Security;
using CimiGrains.Grains.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// Settings are the README's CIMI_* names, from the environment or as --CIMI_…=value arguments. A value
// that cannot be used stops the gateway here with one line naming it, not a stack trace later.
CimiGatewayOptions options;
try
{
    options = CimiGatewayOptions.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build());
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"cimigrains-gateway: {e.Message}");
    return 1;
}
var (cimiEndpoint, endpointRefusal) = CimiHttpsEndpoint.From(options);
if (cimiEndpoint is null)
{
    Console.Error.WriteLine(endpointRefusal);
    return 1;
}
// Secrets in grain state are sealed with the operator's key; without one the gateway does not start
// rather than store them in plaintext (docs/SECURITY.md).
CimiGrains.Grains.Security.SecretKeyRing secretKeys;
try
{
    secretKeys = CimiGrains.Grains.Security.SecretKeyRing.FromEnvironment();
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"cimigrains-gateway: {e.Message}");
    return 1;
}
// The content root is the build output, not the working directory: run.sh, compose and the tests start
// the gateway from elsewhere, and appsettings.json (log levels) must be found wherever that is.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// The providers read their SQL from the database while the silo starts, so the schema comes first.
using (var loggerFactory = LoggerFactory.Create(l => l.AddConsole()))
{
    try
    {
        loggerFactory.CreateLogger("CimiGrains.Gateway").LogInformation("Starting with {Settings}", options);
        await SchemaMigrator.MigrateAsync(options.Postgres, loggerFactory.CreateLogger<SchemaMigrator>());
    }
    catch (Npgsql.NpgsqlException e)
    {
        // The commonest start-up mistake: say which database could not be reached, not a stack trace.
        var target = new Npgsql.NpgsqlConnectionStringBuilder(options.Postgres) { Password = null };
        Console.Error.WriteLine($"Cannot use the PostgreSQL database '{target}' (CIMI_POSTGRES): {e.Message}");
        return 1;
    }
}

builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
    cimiEndpoint.Listen(kestrel, options.HttpPort);
});
builder.AddCimiSilo(options, secretKeys);
builder.AddAgentApi();
builder.AddImageStore();
builder.AddDatabaseOutageHandling();
builder.Services.AddSingleton(Options.Create(options));
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddSingleton<LoginThrottle>();
// The limits of the cluster's login throttle shards (LoginThrottleGrain), the same as this gateway's own.
builder.Services.AddSingleton(LoginThrottle.LimitsOf(options));
builder.Services.AddHttpContextAccessor();
builder.Services.AddScoped<CimiRequest>();
builder.Services.AddHostedService<StartupSeeder>();
builder.Services.AddAuthentication(BasicAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(CimiClaims.AdminPolicy, p => p.RequireRole("admin"));

var app = builder.Build();
// First: everything after it (the login throttle's source, the derived baseURI) sees the client, not the proxy.
app.UseTrustedProxies(options);
app.Use(SecurityHeaders.Apply);
// Domain and binding errors are answers, not faults: CimiErrors logs only what is unexpected.
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    ExceptionHandler = CimiErrors.Handle,
    SuppressDiagnosticsCallback = c => c.Exception is CimiException or CimiGrains.Gateway.Serialization.CimiRequestException
        || CimiErrors.Classify(c.Exception).Status == StatusCodes.Status503ServiceUnavailable,
});
app.Use((context, next) => CimiHeaders.Negotiate(context, next));
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
// Not ready while the database is away (503 + Retry-After, a CIMI error body), ready again once the
// outage tracker's probe reaches it: no restart is needed.
app.MapGet("/health/ready", async (DatabaseOutage database, CancellationToken ct) =>
    await database.IsReadyAsync(ct)
        ? Results.Ok(new { status = "ready" })
        : Results.Extensions.Error(StatusCodes.Status503ServiceUnavailable, "Not ready: the database is unavailable."));

var cimi = app.MapGroup("/cimi").RequireAuthorization();
cimi.AddEndpointFilter(CimiResult.NegotiateFirst);
cimi.MapCloudEntryPointApi();
cimi.MapResourceMetadataApi();
cimi.MapRegisteredTypes();
cimi.MapMachineApi();
cimi.MapVolumeApi();
cimi.MapNetworkApi();
cimi.MapCredentialApi();
cimi.MapSystemApi();
cimi.MapMeterApi();
cimi.MapSystemTemplateOvfApi();
cimi.MapEventLogApi();
app.MapMachineConsoleApi();
app.MapEventStreamApi();
app.MapSystemTemplateEnvelopes();
app.MapAdminApi();
app.MapHostAdminApi();
app.MapGrainCallAdminApi();
app.MapSecretAdminApi();
app.MapAgentApi();
app.MapImageStore();
app.MapFallback(CimiFallback.Answer);

app.Run();
return 0;

/// <summary>The Gateway entry point; public so tests can name the assembly.</summary>
public partial class Program;
