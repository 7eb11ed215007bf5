namespace CimiGrains.Systems;

/// <summary>The kinds of resource a System holds, one member collection each.</summary>
[GenerateSerializer]
public enum SystemMemberKind
{
    Machine,
    Volume,
    Network,
    Credential,
    System,
    NetworkPort,
    Address,
    ForwardingGroup,
}
