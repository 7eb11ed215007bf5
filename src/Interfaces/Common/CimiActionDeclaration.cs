namespace CimiGrains.Common;

/// <summary>A custom operation of a type as its ResourceMetadata declares it; its URI is <see cref="CimiUris.Action"/> of the name.</summary>
public sealed record CimiActionDeclaration(string Name, string Description, string InputMessage = "Action", string OutputMessage = "Job")
{
    public string Uri => CimiUris.Action(Name);
}
