using System.Xml.Linq;

namespace CimiGrains.Gateway.Systems.Ovf;

/// <summary>The names an OVF envelope (DMTF DSP0243 1.1) is written with, and CimiGrains' own extension namespace.</summary>
public static class OvfNames
{
    public const string MediaType = "application/ovf+xml";

    /// <summary>The export format CIMI names (DSP0263 export's <c>format</c> default).</summary>
    public const string Format = "application/ovf";

    public const string Version = "1.1.0";

    public static readonly XNamespace OvfNs = "http://schemas.dmtf.org/ovf/envelope/1";
    public static readonly XNamespace Rasd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    public static readonly XNamespace Vssd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData";

    /// <summary>
    /// CimiGrains' sections and attributes: what OVF has no place for (a component's CIMI attributes, its order and
    /// quantity, Credentials). Every section in it is <c>ovf:required="false"</c>, so other OVF tools may skip it.
    /// </summary>
    public static readonly XNamespace Cg = "urn:cimigrains:ovf:1";

    /// <summary>DSP0263's own namespace, of the CIMI documents inside CimiGrains' sections.</summary>
    public static readonly XNamespace CimiNs = CimiNamespaces.Cimi;

    public static readonly XName Envelope = OvfNs + "Envelope";
    public static readonly XName References = OvfNs + "References";
    public static readonly XName File = OvfNs + "File";
    public static readonly XName DiskSection = OvfNs + "DiskSection";
    public static readonly XName Disk = OvfNs + "Disk";
    public static readonly XName NetworkSection = OvfNs + "NetworkSection";
    public static readonly XName Network = OvfNs + "Network";
    public static readonly XName VirtualSystemCollection = OvfNs + "VirtualSystemCollection";
    public static readonly XName VirtualSystem = OvfNs + "VirtualSystem";
    public static readonly XName VirtualHardwareSection = OvfNs + "VirtualHardwareSection";
    public static readonly XName ProductSection = OvfNs + "ProductSection";
    public static readonly XName Property = OvfNs + "Property";
    public static readonly XName Item = OvfNs + "Item";
    public static readonly XName Info = OvfNs + "Info";
    public static readonly XName Name = OvfNs + "Name";
    public static readonly XName Description = OvfNs + "Description";
    public static readonly XName Label = OvfNs + "Label";

    public static readonly XName Id = OvfNs + "id";
    public static readonly XName Href = OvfNs + "href";
    public static readonly XName DiskId = OvfNs + "diskId";
    public static readonly XName FileRef = OvfNs + "fileRef";
    public static readonly XName Capacity = OvfNs + "capacity";
    public static readonly XName CapacityUnits = OvfNs + "capacityAllocationUnits";
    public static readonly XName DiskFormat = OvfNs + "format";
    public static readonly XName NetworkName = OvfNs + "name";
    public static readonly XName Required = OvfNs + "required";
    public static readonly XName Key = OvfNs + "key";
    public static readonly XName Type = OvfNs + "type";
    public static readonly XName Value = OvfNs + "value";
    public static readonly XName Password = OvfNs + "password";
    public static readonly XName UserConfigurable = OvfNs + "userConfigurable";
    public static readonly XName Class = OvfNs + "class";
    public static readonly XName VersionAttribute = OvfNs + "version";

    /// <summary>A component: its CIMI ComponentDescriptor (the template by value; a System's template is the nested collection).</summary>
    public static readonly XName ComponentSection = Cg + "ComponentSection";

    /// <summary>A SystemTemplate's own attributes (name, description, properties, placementPolicy).</summary>
    public static readonly XName SystemSection = Cg + "SystemSection";

    /// <summary>A component's place among its template's components (OVF puts VirtualSystems and sections apart).</summary>
    public static readonly XName ComponentIndex = Cg + "index";

    /// <summary>The File holding a Machine component's image location.</summary>
    public static readonly XName ImageFile = Cg + "imageFile";

    /// <summary>On a ProductSection property: the component and the attribute a password belongs at.</summary>
    public static readonly XName Component = Cg + "component";
    public static readonly XName Attribute = Cg + "attribute";

    /// <summary>The ProductSection class of the passwords an export leaves out.</summary>
    public const string SecretsClass = "org.cimigrains.passwords";

    /// <summary>Units of memory and capacity: CIMI counts KiB, and DSP0004's programmatic units say so exactly.</summary>
    public const string KibiBytes = "byte * 2^10";

    public static readonly XName RasdAllocationUnits = Rasd + "AllocationUnits";
    public static readonly XName RasdConnection = Rasd + "Connection";
    public static readonly XName RasdDescription = Rasd + "Description";
    public static readonly XName RasdElementName = Rasd + "ElementName";
    public static readonly XName RasdHostResource = Rasd + "HostResource";
    public static readonly XName RasdInstanceId = Rasd + "InstanceID";
    public static readonly XName RasdResourceType = Rasd + "ResourceType";
    public static readonly XName RasdVirtualQuantity = Rasd + "VirtualQuantity";

    /// <summary>CIM_ResourceAllocationSettingData.ResourceType values an envelope uses.</summary>
    public const int Processor = 3, Memory = 4, EthernetAdapter = 10, DiskDrive = 17;

    /// <summary>The prefix of an Item's HostResource naming a Disk of the DiskSection.</summary>
    public const string DiskReference = "ovf:/disk/";

    /// <summary>The ovf:format of a disk of CIMI format <paramref name="format"/> (OVF wants a URI).</summary>
    public static string DiskFormatUri(string format) => "urn:cimigrains:disk-format:" + format;

    public static string? CimiDiskFormat(string? uri) =>
        uri is not null && uri.StartsWith("urn:cimigrains:disk-format:", StringComparison.Ordinal) ? uri["urn:cimigrains:disk-format:".Length..] : null;
}
