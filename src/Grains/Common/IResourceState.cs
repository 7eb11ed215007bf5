namespace CimiGrains.Grains.Common;

/// <summary>
/// What every resource grain persists, whatever else its state holds: the resource itself and the
/// number of domain events it has raised (written in the same storage write as the change it counts).
/// </summary>
public interface IResourceState<TResource> where TResource : CimiResource
{
    TResource? Resource { get; set; }

    long EventSequence { get; set; }

    /// <summary>A copy to go back to when a write fails. Shallow is enough: everything held is immutable.</summary>
    IResourceState<TResource> Copy();
}
