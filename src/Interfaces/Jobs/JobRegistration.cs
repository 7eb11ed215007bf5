namespace CimiGrains.Jobs;

/// <summary>The Job type: created by the provider only; consumers read, rename and delete finished ones.</summary>
public static class JobRegistration
{
    /// <summary>The capability whose value is the operator's retention setting (filled in per deployment).</summary>
    public const string RetentionCapability = "JobRetention";

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("Job", "jobs"),
        Record = typeof(Job),
        Grain = typeof(IJobGrain),
        CollectionArray = "jobs",
        EntryPointAttribute = "jobs",
        Routing = CimiRouting.ProviderCreated,
        ElementOrder =
        [
            .. CimiTypeRegistration.CommonElements, "state", "targetResource", "affectedResources", "action", "status", "returnCode",
            "progress", "statusMessage", "timeOfStatusChange", "isCancellable", "parentJob", "nestedJobs", "operations",
        ],
        ProviderAttributes =
        [
            "state", "targetResource", "affectedResources", "action", "returnCode", "progress", "statusMessage",
            "timeOfStatusChange", "parentJob", "nestedJobs",
        ],
        Capabilities = [new(RetentionCapability, "-1", "Set per deployment; see Configured.")],
        Constraints = [new("action", "add, edit, delete, or an action URI.")],
    };
}
