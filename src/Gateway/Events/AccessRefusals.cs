using CimiGrains.Events;
using CimiGrains.Gateway.Security;

namespace CimiGrains.Gateway.Events;

/// <summary>
/// Where the Gateway notices refusals that concern a tenant other than the caller's (docs/EVENTS.md):
/// a refused login (an access Event in the user's tenant) and a 404 for an id that exists in another
/// tenant (an access Event in that tenant's log). Both are recorded after the answer is decided and
/// without waiting: the caller's answer, its bytes and its timing are those of any refusal.
/// </summary>
public static partial class AccessRefusals
{
    public static void RecordRefusedLogin(HttpContext context, string userName)
    {
        var source = context.Connection.RemoteIpAddress?.ToString();
        Record(context, events => events.RefusedLoginAsync(userName, source, CancellationToken.None));
    }

    /// <summary>After a 404 of a route with an <c>{id}</c>: the id of the route's collection, looked up in every tenant.</summary>
    public static void RecordCrossTenant(HttpContext context)
    {
        if (context.User.Identity?.IsAuthenticated != true) return;
        // From the path, not the route values: the exception handler that writes most 404s runs after the
        // routing middleware has cleared them.
        var segments = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is not ["cimi", var segment, var localId, ..] || CimiTypes.ForSegment(segment) is not { } type) return;
        var tenant = context.User.TenantId();
        var principal = context.User.Identity?.Name;
        var operation = $"{context.Request.Method} {segment}/{localId}";
        var source = context.Connection.RemoteIpAddress?.ToString();
        Record(context, events => events.CrossTenantRequestAsync(tenant, principal, type.TypeName, type.Kind.IdOf(localId), operation, source,
            CancellationToken.None));
    }

    private static void Record(HttpContext context, Func<IAccessEvents, Task> record)
    {
        if (context.RequestServices.GetService<IAccessEvents>() is not { } events) return;
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AccessRefusals));
        _ = Task.Run(async () =>
        {
            try
            {
                await record(events);
            }
            catch (Exception e)
            {
                LogNotRecorded(logger, e.Message);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An access refusal was not recorded as an Event: {Reason}")]
    private static partial void LogNotRecorded(ILogger logger, string reason);
}
