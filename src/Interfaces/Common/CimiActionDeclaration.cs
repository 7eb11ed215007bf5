namespace CimiGrains.Common;

/// <summary>
/// A custom operation of a type as its ResourceMetadata declares it. A DMTF action is POSTed and its URI is
/// <see cref="CimiUris.Action"/> of the name; a CimiGrains extension operation names its own URI (in the
/// extension namespace) and may take another method and messages (the console is a GET of text).
/// </summary>
public sealed record CimiActionDeclaration(
    string Name, string Description, string? InputMessage = "Action", string OutputMessage = "Job", string Method = "POST", string? ExtensionUri = null)
{
    public string Uri => ExtensionUri ?? CimiUris.Action(Name);
}
