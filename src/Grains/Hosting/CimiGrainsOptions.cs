using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.Machines;
using CimiGrains.Grains.Security;
using CimiGrains.Hosts;
using Npgsql;

namespace CimiGrains.Grains.Hosting;

/// <summary>
/// What a silo hosting the CIMI grains must be given. Where the grains' state is stored, and how the
/// silo clusters, stays the host's choice (ADO.NET on PostgreSQL in the Gateway, memory in grain tests).
/// </summary>
public sealed class CimiGrainsOptions
{
    /// <summary>The keys that seal secrets in grain state (never stored in the database).</summary>
    public required SecretKeyRing SecretKeys { get; init; }

    /// <summary>
    /// The database of the read model and the tenant directory: a data source the host owns and disposes,
    /// or null to build one from <see cref="ReadModelConnectionString"/> (owned by the silo's services).
    /// </summary>
    public NpgsqlDataSource? ReadModelDataSource { get; init; }

    public string? ReadModelConnectionString { get; init; }

    /// <summary>
    /// Connections of the read model's pool when it is built here. Kept near the core count: PostgreSQL
    /// runs the pages on the same cores, and 32 queries at once only interleave and lengthen the tail
    /// (docs/BENCHMARKS.md), while a short queue in the pool serves them in order.
    /// </summary>
    public int ReadModelPoolSize { get; init; } = Math.Max(4, 3 * Environment.ProcessorCount);

    /// <summary>How long a finished Job is kept before it is purged; null keeps Jobs until deleted.</summary>
    public TimeSpan? JobRetention { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How long Meter samples are kept (docs/METERS.md); whole partitions are dropped after it.</summary>
    public TimeSpan MeterSampleRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The time one partition of the samples table covers (whole hours dividing a day).</summary>
    public TimeSpan MeterSamplePartitionWidth { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The agents' sampling period in seconds: the shortest sampleInterval a Meter may ask for.</summary>
    public int MeterSamplingPeriodSeconds { get; init; } = 1;

    /// <summary>How long an event is kept in the journal (EventLogs, the live stream); null keeps events forever.</summary>
    public TimeSpan? EventRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How long creates and unconfirmed operations wait for hosts that are reconnecting; zero fails them at once.</summary>
    public TimeSpan HostReconnectGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Virtual CPUs placement may promise per host CPU (a host's agent may override it).</summary>
    public double CpuAllocationRatio { get; init; } = HostSchedulingOptions.DefaultCpuAllocationRatio;

    /// <summary>Memory placement may promise per KiB of host memory (a host's agent may override it).</summary>
    public double MemoryAllocationRatio { get; init; } = HostSchedulingOptions.DefaultMemoryAllocationRatio;

    /// <summary>How long a System member may refuse its delete before the System's delete gives up on it.</summary>
    public TimeSpan SystemMemberRefusalLimit { get; init; } = new Systems.SystemOptions().MemberRefusalLimit;

    /// <summary>How long a Volume reservation may stay unconfirmed before the Volume asks its Machine whether it still holds it.</summary>
    public TimeSpan VolumeReservationTimeout { get; init; } = new Volumes.VolumeOptions().ReservationTimeout;

    /// <summary>The provider's public image locations every tenant may name in a MachineImage.</summary>
    public IReadOnlyList<string> PublicImages { get; init; } = new PublicImageOptions().Locations;

    /// <summary>The first problem with these options, naming the option; null when they are usable.</summary>
    public string? Problem()
    {
        if (ReadModelDataSource is null && string.IsNullOrWhiteSpace(ReadModelConnectionString))
            return $"{nameof(ReadModelDataSource)} or {nameof(ReadModelConnectionString)} must be set: the read model and tenants live in PostgreSQL.";
        if (ReadModelPoolSize <= 0) return $"{nameof(ReadModelPoolSize)} must be positive, not {ReadModelPoolSize}.";
        if (JobRetention < TimeSpan.Zero) return $"{nameof(JobRetention)} must not be negative (null keeps Jobs), not {JobRetention}.";
        if (EventRetention <= TimeSpan.Zero) return $"{nameof(EventRetention)} must be positive (null keeps events), not {EventRetention}.";
        if (!AllocationRatio.IsValid(CpuAllocationRatio)) return $"{nameof(CpuAllocationRatio)} must be above 0 and at most {AllocationRatio.Max}, not {CpuAllocationRatio}.";
        if (!AllocationRatio.IsValid(MemoryAllocationRatio)) return $"{nameof(MemoryAllocationRatio)} must be above 0 and at most {AllocationRatio.Max}, not {MemoryAllocationRatio}.";
        if (HostReconnectGrace < TimeSpan.Zero) return $"{nameof(HostReconnectGrace)} must not be negative, not {HostReconnectGrace}.";
        if (SystemMemberRefusalLimit <= TimeSpan.Zero) return $"{nameof(SystemMemberRefusalLimit)} must be positive, not {SystemMemberRefusalLimit}.";
        if (VolumeReservationTimeout <= TimeSpan.Zero) return $"{nameof(VolumeReservationTimeout)} must be positive, not {VolumeReservationTimeout}.";
        if (PublicImages.Any(string.IsNullOrWhiteSpace)) return $"{nameof(PublicImages)} holds an empty location.";
        return null;
    }
}
