namespace CimiGrains.Gateway.Serialization;

/// <summary>How an attribute's value is written in both renderings (DSP0263 data types).</summary>
public enum CimiValueKind
{
    /// <summary>string, URI or an enumeration: JSON string, XML text.</summary>
    String,
    /// <summary>integer: JSON number, xs:integer.</summary>
    Integer,
    /// <summary>boolean: <c>true</c>/<c>false</c> in both.</summary>
    Boolean,
    /// <summary>dateTime: JSON string, xs:dateTime.</summary>
    DateTime,
    /// <summary>ref: <c>{"href": …}</c>, XML <c>&lt;name href="…"/&gt;</c> (by-value attributes as children).</summary>
    Ref,
    /// <summary>ref[]: a JSON array of refs, repeated XML elements with the singular name.</summary>
    RefArray,
    /// <summary>A structure or a resource given by value (optionally with an href), as the XSD's <c>XxxRef</c> types.</summary>
    Struct,
    /// <summary>An array of structures: repeated XML elements with the singular name.</summary>
    StructArray,
    /// <summary>map string→string (<c>properties</c>): XML <c>&lt;property key="k" name="k"&gt;v&lt;/property&gt;</c>.</summary>
    Map,
    /// <summary>The <c>operations</c> array: XML <c>&lt;operation rel href/&gt;</c>.</summary>
    Operations,
}
