namespace CimiGrains.Agents;

/// <summary>What a tenant's containers may reach beyond their own network (<c>CIMI_AGENT_TENANT_OUTBOUND</c>).</summary>
public enum TenantOutbound
{
    /// <summary>Nothing: the tenant's network is an internal network (no route off it, no NAT).</summary>
    None,

    /// <summary>Outbound connections leave through the host's NAT, as on a container engine's default bridge.</summary>
    Nat,
}
