namespace CimiGrains.Common;

/// <summary>The URIs DSP0263 1.x fixes: the namespace, type URIs and action URIs.</summary>
public static class CimiUris
{
    public const string Namespace = "http://schemas.dmtf.org/cimi/1";
    public const string ActionPrefix = Namespace + "/action/";
    public const string SpecificationVersion = "1.0.1";

    public static string TypeUri(string typeName) => $"{Namespace}/{typeName}";

    public static string Action(string name) => ActionPrefix + name;
}
