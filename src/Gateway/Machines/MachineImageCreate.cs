namespace CimiGrains.Gateway.Machines;

/// <summary>
/// The <c>MachineImageCreate</c> document that existing CIMI clients POST to the MachineImage
/// collection (DSP8009 has none; the clients wrote one by analogy with <c>MachineCreate</c>): the
/// MachineImage's writable attributes directly inside, <c>imageLocation</c> as text. Only its shape
/// lives here, for the XML reader; it binds as a <see cref="CimiGrains.Machines.MachineImage"/>.
/// </summary>
public sealed record MachineImageCreate : CimiResource
{
    public string? Type { get; init; }
    public string? ImageLocation { get; init; }
}
