using CimiGrains.Credentials;
using CimiGrains.Gateway.CloudEntryPoint;
using CimiGrains.Gateway.Serialization;
using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Binding;

/// <summary>
/// One fully populated instance of every CIMI type the server writes (every attribute set, every
/// extension included), with fixed ids and times so rendered documents are stable golden material.
/// </summary>
public static class Samples
{
    public static readonly BaseUri Base = new("http://cimi.example.com/cimi/");
    public static readonly DateTimeOffset Created = new(2024, 5, 25, 13, 30, 15, TimeSpan.Zero);
    public static readonly DateTimeOffset Updated = new(2024, 5, 26, 8, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<Operation> EditDelete(string id) => [new("edit", id), new("delete", id)];

    public static Machine Machine { get; } = new()
    {
        Id = "machines/m1", Name = "web-1", Description = "front end", Created = Created, Updated = Updated,
        Properties = new Dictionary<string, string> { ["owner"] = "ops", ["tier"] = "web" },
        State = MachineStateName.STARTED, Cpu = 2, Memory = 524288, CpuArch = "x86_64",
        MachineImage = new ResourceRef("machineImages/i1"), MachineConfig = new ResourceRef("machineConfigs/c1"), Host = "host-a",
        Operations =
        [
            .. EditDelete("machines/m1"),
            new(CimiUris.Action("stop"), "machines/m1"),
            new(CimiUris.Action("restart"), "machines/m1"),
        ],
    };

    public static MachineConfiguration Configuration { get; } = new()
    {
        Id = "machineConfigs/c1", Name = "small", Description = "2 CPUs", Created = Created, Updated = Updated,
        Properties = new Dictionary<string, string> { ["class"] = "general" },
        Cpu = 2, Memory = 524288, CpuArch = "x86_64",
        Disks = [new Disk { Capacity = 1048576, Format = "ext4", InitialLocation = "/dev/sda" }, new Disk { Capacity = 2048, Format = "swap" }],
        Operations = EditDelete("machineConfigs/c1"),
    };

    public static MachineImage Image { get; } = new()
    {
        Id = "machineImages/i1", Name = "busybox", Description = "demo", Created = Created, Updated = Updated,
        State = "AVAILABLE", Type = "IMAGE", ImageLocation = "docker:cimigrains/demo:1", RelatedImage = new ResourceRef("machineImages/i0"),
        Operations = EditDelete("machineImages/i1"),
    };

    public static Credential Credential { get; } = new()
    {
        Id = "credentials/k1", Name = "admin", Description = "root login", Created = Created, Updated = Updated,
        UserName = "root", Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host",
        Operations = EditDelete("credentials/k1"),
    };

    public static CredentialTemplate CredentialTemplate { get; } = new()
    {
        Id = "credentialTemplates/ct1", Name = "admin-template", Created = Created, Updated = Updated,
        UserName = "root", Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host",
        Operations = EditDelete("credentialTemplates/ct1"),
    };

    public static MachineTemplate Template { get; } = new()
    {
        Id = "machineTemplates/t1", Name = "web", Description = "web tier", Created = Created, Updated = Updated,
        Properties = new Dictionary<string, string> { ["tier"] = "web" },
        InitialState = "STOPPED",
        MachineConfig = new MachineConfiguration { Href = "machineConfigs/c1", Cpu = 4 },
        MachineImage = new MachineImage { Href = "machineImages/i1" },
        Credential = new Credential { Href = "credentials/k1" },
        UserData = "IyEvYmluL3NoCmVjaG8gaGk=",
        Operations = EditDelete("machineTemplates/t1"),
    };

    public static Job Job { get; } = new()
    {
        Id = "jobs/j1", Name = "create machine web-1", Created = Created, Updated = Updated,
        State = JobStateName.FAILED, TargetResource = new ResourceRef("machines/m1"),
        AffectedResources = [new ResourceRef("machines/m1"), new ResourceRef("machineImages/i1")],
        Action = "add", ReturnCode = 1, Progress = 100, StatusMessage = "No host is available.", TimeOfStatusChange = Updated,
        ParentJob = new ResourceRef("jobs/j0"), NestedJobs = [new ResourceRef("jobs/j2"), new ResourceRef("jobs/j3")],
        Operations = EditDelete("jobs/j1"),
    };

    public static MachineCreate MachineCreate { get; } = new()
    {
        Name = "web-2", Description = "by value", Properties = new Dictionary<string, string> { ["owner"] = "ops" },
        MachineTemplate = new MachineTemplate
        {
            InitialState = "STARTED",
            MachineConfig = new MachineConfiguration { Cpu = 1, Memory = 262144 },
            MachineImage = new MachineImage { Href = "machineImages/i1" },
            Credential = new Credential { UserName = "root", Password = "s3cret" },
            UserData = "aGk=",
        },
    };

    public static CredentialCreate CredentialCreate { get; } = new()
    {
        Name = "admin", CredentialTemplate = new CredentialTemplate { Href = "credentialTemplates/ct1", Password = "pw" },
    };

    public static CloudEntryPointResource EntryPoint { get; } = CloudEntryPointApi.Build("tenant-1", Created, Base.Value);

    /// <summary>The resources of each stored type, with the CimiType the server renders them as.</summary>
    public static IEnumerable<(CimiType Type, CimiResource Resource)> Resources { get; } =
    [
        (CimiTypes.Machine, Machine),
        (CimiTypes.MachineTemplate, Template),
        (CimiTypes.MachineConfiguration, Configuration),
        (CimiTypes.MachineImage, Image),
        (CimiTypes.Credential, Credential),
        (CimiTypes.CredentialTemplate, CredentialTemplate),
        (CimiTypes.Job, Job),
    ];
}
