using Docker.DotNet.Models;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// The confinement every Machine's container gets, whatever its image asks for (docs/AGENTS.md, the
/// operator's settings in <see cref="AgentOptions"/>): a process-count limit, no-new-privileges, and only
/// the capabilities in <see cref="AgentOptions.Capabilities"/>. The root filesystem stays writable: a
/// Machine is a whole system whose init writes where it pleases.
/// </summary>
internal static class ContainerDefaults
{
    public static void Apply(HostConfig host, AgentOptions options)
    {
        // The engine reads 0 and negative values as "unlimited"; only a positive limit is sent.
        host.PidsLimit = options.PidsLimit > 0 ? options.PidsLimit : null;
        host.SecurityOpt = options.NoNewPrivileges ? ["no-new-privileges:true"] : [];
        host.CapDrop = ["ALL"];
        host.CapAdd = options.Capabilities.ToList();
        host.Privileged = false;
    }
}
