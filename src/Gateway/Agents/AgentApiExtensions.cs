using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CimiGrains.Gateway.Agents;

/// <summary>Hosts the agent gRPC API in the silo process: <c>builder.AddAgentApi()</c>, <c>app.MapAgentApi()</c>.</summary>
public static class AgentApiExtensions
{
    public static WebApplicationBuilder AddAgentApi(this WebApplicationBuilder builder)
    {
        var options = AgentApiOptions.FromEnvironment();
        builder.Services.AddSingleton(options);
        builder.Services.AddGrpc();
        if (!options.Enabled) return builder;
        var certificate = options.TlsCertificatePath is { } certPath
            ? X509Certificate2.CreateFromPemFile(certPath, options.TlsKeyPath)
            : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Parse(options.Address), options.Port, listen =>
            {
                if (certificate is null)
                {
                    listen.Protocols = HttpProtocols.Http2;
                    return;
                }
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            }));
        return builder;
    }

    public static WebApplication MapAgentApi(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<AgentApiOptions>();
        if (!options.Enabled)
        {
            app.Logger.LogWarning("CIMI_AGENT_SECRET is not set: the agent API is off and no host can enroll.");
            return app;
        }
        // Only on the agent port: the CIMI port does not speak HTTP/2 in cleartext.
        app.MapGrpcService<AgentHubService>().RequireHost($"*:{options.Port}");
        return app;
    }
}
