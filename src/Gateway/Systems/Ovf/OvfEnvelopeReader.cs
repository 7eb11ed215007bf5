using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Systems;
using static CimiGrains.Gateway.Systems.Ovf.OvfNames;

namespace CimiGrains.Gateway.Systems.Ovf;

/// <summary>
/// An OVF envelope (DSP0243 1.x) as a SystemTemplate, the reverse of <see cref="OvfEnvelopeWriter"/>. A component
/// described by a CimiGrains ComponentSection is that ComponentDescriptor, with what the standard sections say laid
/// over it (a Machine's CPUs, memory and image location, a Volume's capacity and format), so an envelope edited by an
/// OVF tool imports as edited. An envelope no CimiGrains wrote imports too: each VirtualSystem is a Machine component
/// (CPUs, memory, a NIC on each Network it connects to) and each Network it connects to a PRIVATE Network component.
/// Every problem is a <see cref="CimiRequestException"/> (400) naming it; the SystemTemplate grain then checks the
/// template as a whole, like any other.
/// </summary>
public static partial class OvfEnvelopeReader
{
    public static SystemTemplate Read(byte[] body, BaseUri baseUri)
    {
        var document = CimiXml.Load(body);
        var root = document.Root!;
        if (root.Name != OvfNames.Envelope)
            throw Bad($"The body's root element is <{root.Name.LocalName}> in namespace '{root.Name.NamespaceName}'; an OVF envelope is " +
                $"<Envelope> in {OvfNs.NamespaceName} (OVF 1.x).");
        var envelope = new Envelope(root, baseUri);
        var content = root.Elements().Where(e => e.Name == VirtualSystemCollection || e.Name == VirtualSystem).ToList();
        if (content.Count != 1)
            throw Bad($"The envelope holds {content.Count} VirtualSystem or VirtualSystemCollection elements at its top; it must hold one.");
        var top = content[0];
        if (top.Name == VirtualSystemCollection) return envelope.System(top);
        // A lone VirtualSystem: a System of that one Machine (and the Networks it connects to).
        List<ComponentDescriptor> components = [envelope.Machine(top, [])];
        Envelope.AddForeignNetworks(root, components);
        return new SystemTemplate { Name = (string?)top.Element(OvfNames.Name), ComponentDescriptors = components };
    }

    private static CimiRequestException Bad(string message) => CimiRequestException.BadRequest("OVF envelope: " + message);

    private static string Describe(XElement e) =>
        $"<{e.Name.LocalName}{(e.Attribute(Id) is { } id ? $" ovf:id='{id.Value}'" : "")}> (line {((System.Xml.IXmlLineInfo)e).LineNumber})";

    private sealed class Envelope
    {
        private readonly BaseUri _baseUri;
        private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
        private readonly Dictionary<string, XElement> _disks = new(StringComparer.Ordinal);
        private readonly HashSet<string> _networks = new(StringComparer.Ordinal);

        public Envelope(XElement root, BaseUri baseUri)
        {
            _baseUri = baseUri;
            // Every reference of the envelope resolves before anything is read from it.
            foreach (var file in root.Element(OvfNames.References)?.Elements(OvfNames.File) ?? [])
            {
                var id = Required(file, Id);
                if (!_files.TryAdd(id, Required(file, Href))) throw Bad($"two Files have the ovf:id '{id}'.");
            }
            foreach (var disk in root.Element(DiskSection)?.Elements(OvfNames.Disk) ?? [])
            {
                var id = Required(disk, DiskId);
                if (!_disks.TryAdd(id, disk)) throw Bad($"two Disks have the ovf:diskId '{id}'.");
                if ((string?)disk.Attribute(FileRef) is { } fileRef && !_files.ContainsKey(fileRef))
                    throw Bad($"Disk '{id}' has ovf:fileRef '{fileRef}', and References has no File of that id.");
            }
            foreach (var network in root.Element(NetworkSection)?.Elements(OvfNames.Network) ?? [])
            {
                var name = Required(network, NetworkName);
                if (!_networks.Add(name)) throw Bad($"two Networks have the ovf:name '{name}'.");
            }
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entity in root.Descendants().Where(e => e.Name == VirtualSystem || e.Name == VirtualSystemCollection))
            {
                var id = Required(entity, Id);
                if (!ids.Add(id)) throw Bad($"two VirtualSystems or VirtualSystemCollections have the ovf:id '{id}'.");
            }
            foreach (var item in root.Descendants(OvfNames.Item))
            {
                foreach (var host in item.Elements(RasdHostResource).Select(h => h.Value.Trim()))
                {
                    if (host.StartsWith(DiskReference, StringComparison.Ordinal) && !_disks.ContainsKey(host[DiskReference.Length..]))
                        throw Bad($"an Item of {Describe(item.Ancestors(VirtualSystem).FirstOrDefault() ?? item)} uses '{host}', and the DiskSection has no such Disk.");
                    if (host.StartsWith("ovf:/file/", StringComparison.Ordinal) && !_files.ContainsKey(host["ovf:/file/".Length..]))
                        throw Bad($"an Item of {Describe(item.Ancestors(VirtualSystem).FirstOrDefault() ?? item)} uses '{host}', and References has no such File.");
                }
                foreach (var connection in item.Elements(RasdConnection).Select(c => c.Value.Trim()))
                {
                    if (!_networks.Contains(connection))
                        throw Bad($"an Item of {Describe(item.Ancestors(VirtualSystem).FirstOrDefault() ?? item)} connects to '{connection}', and the NetworkSection has no such Network.");
                }
            }
            foreach (var section in root.Descendants(OvfNames.ComponentSection))
            {
                if ((string?)section.Attribute(ImageFile) is { } file && !_files.ContainsKey(file))
                    throw Bad($"the component section of {Describe(section.Parent!)} names the image File '{file}', and References has no such File.");
            }
        }

        public SystemTemplate System(XElement collection)
        {
            var own = collection.Element(SystemSection) is { } section
                ? Bind<SystemTemplate>(CimiOf(section, "SystemTemplate"), "SystemTemplate")
                : new SystemTemplate { Name = (string?)collection.Element(OvfNames.Name) };
            var secrets = Secrets(collection);
            var components = new List<(int ComponentIndex, ComponentDescriptor Component)>();
            var order = 0;
            foreach (var child in collection.Elements())
            {
                if (child.Name == OvfNames.ComponentSection)
                    components.Add((IndexOf(child, order++), Descriptor(child, secrets, collection)));
                else if (child.Name == VirtualSystem)
                    components.Add((IndexOf(child.Element(OvfNames.ComponentSection), order++), Machine(child, secrets)));
                else if (child.Name == VirtualSystemCollection)
                {
                    var nested = System(child);
                    var itsOwn = child.Element(SystemSection);
                    var descriptor = itsOwn?.Element(CimiNs + "ComponentDescriptor") is not null
                        ? Descriptor(itsOwn, secrets, collection)
                        : new ComponentDescriptor { Name = NameOf(child), Type = CimiUris.TypeUri("System") };
                    components.Add((IndexOf(itsOwn, order++), descriptor with { SystemTemplate = nested }));
                }
            }
            if (secrets.FirstOrDefault(s => !s.Value.Used) is { Key: var unused, Value.Used: false })
                throw Bad($"the ProductSection property for '{unused.Attribute}' names the component '{unused.Component}', which the " +
                    $"VirtualSystemCollection '{(string?)collection.Attribute(Id)}' does not have.");
            var ordered = components.OrderBy(c => c.ComponentIndex).Select(c => c.Component).ToList();
            AddForeignNetworks(collection, ordered);
            return own with { ComponentDescriptors = ordered };
        }

        /// <summary>A Machine component: its ComponentSection with the hardware laid over it, or one made from the hardware alone.</summary>
        public ComponentDescriptor Machine(XElement system, Dictionary<(string Component, string Attribute), Secret> secrets)
        {
            var hardware = system.Element(VirtualHardwareSection)?.Elements(OvfNames.Item).ToList() ?? [];
            int? cpu = null;
            long? memory = null;
            foreach (var item in hardware)
            {
                switch (ResourceTypeOf(item))
                {
                    case Processor:
                        cpu = (int)Math.Min(int.MaxValue, Quantity(item, system, "CPUs"));
                        break;
                    case OvfNames.Memory:
                        memory = Kibibytes(Quantity(item, system, "memory"), (string?)item.Element(RasdAllocationUnits) ?? "byte * 2^20", Describe(system));
                        break;
                }
            }
            if (system.Element(OvfNames.ComponentSection) is not { } section)
            {
                var networks = hardware.Where(i => ResourceTypeOf(i) == EthernetAdapter)
                    .Select(i => (string?)i.Element(RasdConnection)).OfType<string>().Select(n => SystemComponents.Reference(Sanitize(n.Trim()))).ToList();
                return new ComponentDescriptor
                {
                    Name = NameOf(system), Type = CimiUris.TypeUri("Machine"),
                    Description = (string?)system.Element(OvfNames.Info),
                    MachineTemplate = new MachineTemplate
                    {
                        MachineConfig = new MachineConfiguration { Cpu = cpu, Memory = memory },
                        NetworkInterfaces = networks.Count == 0 ? null
                            : [.. networks.Select(n => new MachineTemplateNetworkInterface { Network = new ResourceRef(n) })],
                    },
                };
            }
            var d = Descriptor(section, secrets, system.Parent);
            var template = d.MachineTemplate ?? throw Bad($"{Describe(system)} describes a component that is not a Machine.");
            var image = (string?)section.Attribute(ImageFile) is { } file
                ? (template.MachineImage ?? new MachineImage()) with { ImageLocation = _files[file] }
                : template.MachineImage;
            var config = cpu is null && memory is null
                ? template.MachineConfig
                : (template.MachineConfig ?? new MachineConfiguration()) with { Cpu = cpu ?? template.MachineConfig?.Cpu, Memory = memory ?? template.MachineConfig?.Memory };
            return d with { MachineTemplate = template with { MachineConfig = config, MachineImage = image } };
        }

        /// <summary>The component a ComponentSection describes, its passwords given back, and a Volume's Disk laid over it.</summary>
        private ComponentDescriptor Descriptor(XElement section, Dictionary<(string Component, string Attribute), Secret> secrets, XElement? collection)
        {
            var json = CimiOf(section, "ComponentDescriptor");
            var name = json["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            foreach (var ((component, attribute), secret) in secrets.Where(p => p.Key.Component == name))
            {
                Place(json, attribute, secret, section);
                secret.Used = true;
            }
            var d = Bind<ComponentDescriptor>(json, "ComponentDescriptor");
            if (d.VolumeTemplate is { } volume && collection is not null
                && _disks.GetValueOrDefault($"{(string?)collection.Attribute(Id)}/{d.Name}") is { } disk)
            {
                var capacity = Kibibytes(DiskCapacity(disk), (string?)disk.Attribute(CapacityUnits) ?? "byte", $"Disk '{(string?)disk.Attribute(DiskId)}'");
                var format = CimiDiskFormat((string?)disk.Attribute(DiskFormat));
                d = d with
                {
                    VolumeTemplate = volume with
                    {
                        VolumeConfig = (volume.VolumeConfig ?? new()) with
                        {
                            Capacity = capacity > 0 ? capacity : volume.VolumeConfig?.Capacity,
                            Format = format ?? volume.VolumeConfig?.Format,
                        },
                    },
                };
            }
            return d;
        }

        /// <summary>A foreign envelope's Machines connect to Networks no component describes: each becomes a Network component.</summary>
        public static void AddForeignNetworks(XElement collection, List<ComponentDescriptor> components)
        {
            var foreign = collection.Elements(VirtualSystem).Where(vs => vs.Element(OvfNames.ComponentSection) is null)
                .SelectMany(vs => vs.Descendants(RasdConnection)).Select(c => Sanitize(c.Value.Trim())).Distinct(StringComparer.Ordinal);
            foreach (var name in foreign)
            {
                if (components.Any(c => c.Name == name)) continue;
                components.Add(new ComponentDescriptor
                {
                    Name = name, Type = CimiUris.TypeUri("Network"),
                    NetworkTemplate = new NetworkTemplate { NetworkConfig = new NetworkConfiguration { NetworkType = "PRIVATE" } },
                });
            }
        }

        private static Dictionary<(string Component, string Attribute), Secret> Secrets(XElement collection)
        {
            var secrets = new Dictionary<(string, string), Secret>();
            foreach (var property in collection.Elements(ProductSection).Where(p => (string?)p.Attribute(Class) == SecretsClass).Elements(Property))
            {
                var key = ((string?)property.Attribute(Component) ?? "", (string?)property.Attribute(OvfNames.Attribute) ?? "");
                if (key.Item1.Length == 0 || key.Item2.Length == 0)
                    throw Bad($"a password property ('{(string?)property.Attribute(Key)}') names no cimigrains:component and cimigrains:attribute.");
                secrets[key] = new Secret((string?)property.Attribute(Key) ?? "", (string?)property.Attribute(Value));
            }
            return secrets;
        }

        private static void Place(JsonObject json, string attribute, Secret secret, XElement section)
        {
            if (secret.Value is null)
                throw Bad($"the password at '{attribute}' of the component '{json["name"]}' is not in the envelope (an export never writes " +
                    $"passwords): give it as the ovf:value of the ProductSection property '{secret.Key}'.");
            var parts = attribute.Split('.');
            var at = json;
            foreach (var part in parts[..^1])
            {
                at = at[part] as JsonObject
                    ?? throw Bad($"the password property '{secret.Key}' is for '{attribute}', which {Describe(section.Parent!)} does not have.");
            }
            at[parts[^1]] = secret.Value;
        }

        private JsonObject CimiOf(XElement section, string typeName)
        {
            var element = section.Element(CimiNs + typeName)
                ?? throw Bad($"the CimiGrains section in {Describe(section.Parent!)} holds no CIMI {typeName}.");
            var json = CimiXmlReader.Read(element, CimiDescriptors.ByTypeName(typeName)!);
            CimiRequestReader.CheckText(json);
            return json;
        }

        private T Bind<T>(JsonObject json, string typeName) where T : class =>
            CimiRequestReader.Bind<T>(json, _baseUri, CimiTypes.CommonReadOnly, typeName);

        private static string Required(XElement e, XName attribute) =>
            (string?)e.Attribute(attribute) is { Length: > 0 } value ? value : throw Bad($"{Describe(e)} has no {attribute.LocalName} attribute.");
    }

    private sealed record Secret(string Key, string? Value)
    {
        public bool Used { get; set; }
    }

    private static int IndexOf(XElement? section, int order) =>
        section?.Attribute(ComponentIndex) is { } index
            ? int.TryParse(index.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : throw Bad($"cimigrains:index '{index.Value}' is not a number.")
            : 10_000 + order;

    private static int? ResourceTypeOf(XElement item) =>
        int.TryParse(((string?)item.Element(RasdResourceType))?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;

    private static long Quantity(XElement item, XElement system, string what) =>
        long.TryParse(((string?)item.Element(RasdVirtualQuantity))?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var q)
            ? q
            : throw Bad($"the {what} Item of {Describe(system)} has no whole rasd:VirtualQuantity.");

    private static long DiskCapacity(XElement disk) =>
        long.TryParse(((string?)disk.Attribute(Capacity))?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var c)
            ? c
            : throw Bad($"Disk '{(string?)disk.Attribute(DiskId)}' has ovf:capacity '{(string?)disk.Attribute(Capacity)}'; this cloud takes a whole number " +
                "(a ${property} capacity is not supported).");

    [GeneratedRegex(@"^\s*byte\s*(\*\s*2\s*\^\s*(\d{1,2}))?\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex BinaryUnits();

    /// <summary><paramref name="quantity"/> in <paramref name="units"/> (DSP0004 programmatic units, or the names tools write) as KiB.</summary>
    private static long Kibibytes(long quantity, string units, string where)
    {
        var exponent = units.Trim() switch
        {
            "KiloBytes" or "KB" => 10,
            "MegaBytes" or "MB" => 20,
            "GigaBytes" or "GB" => 30,
            var u when BinaryUnits().Match(u) is { Success: true } m => m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
            _ => throw Bad($"{where} counts in '{units}'; this cloud reads bytes ('byte', 'byte * 2^10', 'byte * 2^20', …)."),
        };
        if (exponent > 40) throw Bad($"{where} counts in '{units}', more than this cloud reads.");
        var bytes = (decimal)quantity * (decimal)Math.Pow(2, exponent);
        var kib = Math.Ceiling(bytes / 1024);
        if (kib > long.MaxValue) throw Bad($"{where} is larger than this cloud reads.");
        return (long)kib;
    }

    /// <summary>A component name from an OVF id or network name (1 to 64 letters, digits, '-', '_', '.').</summary>
    private static string Sanitize(string name)
    {
        var last = name.Contains('/') ? name[(name.LastIndexOf('/') + 1)..] : name;
        var clean = new string([.. last.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        return clean.Length switch { 0 => "component", > 64 => clean[..64], _ => clean };
    }

    private static string NameOf(XElement entity) => Sanitize((string?)entity.Attribute(Id) ?? "");
}
