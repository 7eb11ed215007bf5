namespace CimiGrains.Grains.Common;

/// <summary>
/// What every resource grain persists, whatever else its state holds: the resource itself and the
/// number of domain events it has raised (written in the same storage write as the change it counts).
/// </summary>
public interface IResourceState<TResource> where TResource : CimiResource
{
    TResource? Resource { get; set; }

    long EventSequence { get; set; }

    /// <summary>The event of the last commit (its <see cref="DomainEvent.Sequence"/> is <see cref="EventSequence"/>): the
    /// projection writes it with the read-model row, idempotently, so a crash between the state write and the row loses no event.</summary>
    DomainEvent? LastEvent { get; set; }

    /// <summary>A copy to go back to when a write fails. Shallow is enough: everything held is immutable.</summary>
    IResourceState<TResource> Copy();
}
