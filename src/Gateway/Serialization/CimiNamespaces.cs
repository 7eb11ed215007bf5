namespace CimiGrains.Gateway.Serialization;

/// <summary>The XML namespaces CimiGrains writes.</summary>
public static class CimiNamespaces
{
    /// <summary>DSP0263 1.x: every standard element.</summary>
    public const string Cimi = CimiUris.Namespace;

    /// <summary>
    /// CimiGrains' own attributes (Machine <c>host</c>, Credential <c>key</c>, …). The DMTF schema
    /// admits them only as <c>xs:any namespace="##other"</c>, so they must not share the CIMI namespace.
    /// ResourceMetadata declares each of them with this namespace.
    /// </summary>
    public const string Extensions = "urn:cimigrains:cimi:extensions:1";

    public const string ExtensionsPrefix = "cg";
}
