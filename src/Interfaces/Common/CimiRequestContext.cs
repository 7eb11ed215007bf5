namespace CimiGrains.Common;

/// <summary>
/// Who asked, and under which request id, carried with every grain call of a request in Orleans'
/// <see cref="RequestContext"/>. The caller (the Gateway) sets it once per request; grains read it for
/// the domain events they raise, and a hosted resource keeps it with the operation it accepted, so the
/// change its host confirms later carries the same correlation id.
/// </summary>
public static class CimiRequestContext
{
    public const string PrincipalKey = "cimi.principal";
    public const string RequestIdKey = "cimi.requestId";

    public static void Set(string? principal, string? requestId)
    {
        if (principal is not null) RequestContext.Set(PrincipalKey, principal);
        if (requestId is not null) RequestContext.Set(RequestIdKey, requestId);
    }

    public static string? Principal => RequestContext.Get(PrincipalKey) as string;

    public static string? RequestId => RequestContext.Get(RequestIdKey) as string;
}
