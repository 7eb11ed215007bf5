using CimiGrains.Gateway.Agents;
using CimiGrains.Grains.Images;

namespace CimiGrains.Gateway.Images;

/// <summary>
/// Hosts the cluster image store in the silo process: <c>builder.AddImageStore()</c>,
/// <c>app.MapImageStore()</c> (the hosts' transfer API on the agent port, the operator API under
/// <c>/admin/images</c>), and a sweep of uploads that never finished.
/// </summary>
public static class ImageStoreExtensions
{
    public static WebApplicationBuilder AddImageStore(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(ImageStoreOptions.FromEnvironment());
        builder.Services.AddHostedService<AbandonedUploadSweep>();
        return builder;
    }

    public static WebApplication MapImageStore(this WebApplication app)
    {
        app.MapImageAdminApi();
        var agentApi = app.Services.GetRequiredService<AgentApiOptions>();
        if (agentApi.Enabled) app.MapGrpcService<ImageStoreService>().RequireHost($"*:{agentApi.Port}");
        return app;
    }
}
