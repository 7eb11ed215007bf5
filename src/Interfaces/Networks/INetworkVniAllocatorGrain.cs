namespace CimiGrains.Networks;

/// <summary>
/// The cluster's one VNI allocator (key 0): hands each Network a VXLAN network identifier no other Network of any
/// tenant holds, written before it is answered. Asking again for the same Network returns its VNI. It never calls
/// a Network, so Networks may call it from inside their own turns.
/// </summary>
public interface INetworkVniAllocatorGrain : IGrainWithIntegerKey
{
    Task<uint> Allocate(string networkKey);

    /// <summary>The Network is gone: its VNI may be handed out again. Unknown Networks succeed.</summary>
    Task Release(string networkKey);
}
