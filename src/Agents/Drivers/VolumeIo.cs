namespace CimiGrains.Agents.Drivers;

/// <summary>
/// The bytes a workload has read from and written to one of its attached Volumes, by the counters of the device
/// it sees the Volume as (cumulative, from zero when that device appeared): a VM's virtio disk, as QEMU counts it.
/// A driver whose Volumes' I/O the host already sees elsewhere (a container's loop devices) reports none.
/// </summary>
public sealed record VolumeIo(string VolumeKey, long ReadBytes, long WriteBytes);
