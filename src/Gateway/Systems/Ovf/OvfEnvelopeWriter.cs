using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Machines;
using CimiGrains.Systems;
using static CimiGrains.Gateway.Systems.Ovf.OvfNames;

namespace CimiGrains.Gateway.Systems.Ovf;

/// <summary>
/// A SystemTemplate, every component by value (<see cref="CimiGrains.Grains.Systems.SystemTemplateValues"/>), as an OVF
/// envelope (DSP0243 1.1). docs/SYSTEMS.md has the mapping. In short: the template is a VirtualSystemCollection, a
/// Machine component a VirtualSystem (CPU, memory, disks and NICs in its VirtualHardwareSection), a nested System a
/// nested VirtualSystemCollection, a Network component an entry of the NetworkSection, a Volume component (and each
/// Machine disk) a Disk of the DiskSection, a Machine's image location a File. Each component also carries its CIMI
/// ComponentDescriptor in a CimiGrains section (<c>ovf:required="false"</c>), which is what makes the import exact;
/// what the standard sections say wins over it on import (<see cref="OvfEnvelopeReader"/>).
/// Passwords are never written: each becomes a ProductSection property with <c>ovf:password="true"</c> and no value,
/// which an import must be given.
/// </summary>
public static class OvfEnvelopeWriter
{
    /// <summary>The ovf:id of the outermost VirtualSystemCollection; every component's id is a path below it.</summary>
    public const string RootId = "root";

    public static XDocument Write(SystemTemplate template, BaseUri baseUri)
    {
        var envelope = new Envelope(baseUri);
        var content = envelope.System(template, RootId, component: null);
        var root = new XElement(OvfNames.Envelope,
            new XAttribute(XNamespace.Xmlns + "ovf", OvfNs.NamespaceName),
            new XAttribute("xmlns", OvfNs.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "rasd", Rasd.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "vssd", Vssd.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "cimigrains", Cg.NamespaceName),
            new XAttribute(VersionAttribute, OvfNames.Version),
            new XAttribute(XNamespace.Xml + "lang", "en-US"),
            new XElement(OvfNames.References, envelope.Files));
        if (envelope.Disks.Count > 0) root.Add(new XElement(DiskSection, Info("The Volumes and Machine disks of the System"), envelope.Disks));
        if (envelope.Networks.Count > 0) root.Add(new XElement(NetworkSection, Info("The Networks of the System"), envelope.Networks));
        root.Add(content);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    private static XElement Info(string text) => new(OvfNames.Info, text);

    private sealed class Envelope(BaseUri baseUri)
    {
        public List<XElement> Files { get; } = [];
        public List<XElement> Disks { get; } = [];
        public List<XElement> Networks { get; } = [];

        /// <summary>A VirtualSystemCollection for <paramref name="template"/>; <paramref name="component"/> is the
        /// descriptor it is the template of (null for the outermost).</summary>
        public XElement System(SystemTemplate template, string id, (ComponentDescriptor Descriptor, int ComponentIndex)? component)
        {
            var collection = new XElement(VirtualSystemCollection, new XAttribute(Id, id),
                Info(component is null ? "A CIMI SystemTemplate" : $"The CIMI System component '{component.Value.Descriptor.Name}'"),
                new XElement(OvfNames.Name, template.Name ?? component?.Descriptor.Name ?? id));
            var secrets = new List<XElement>();
            // The collection's own section: a nested System's descriptor (its template is the collection) and the template's
            // attributes. ComponentSections directly in a collection are always its components.
            var own = new XElement(SystemSection, new XAttribute(Required, "false"), Info("The CIMI SystemTemplate's own attributes"));
            if (component is { } c)
            {
                own.Add(new XAttribute(ComponentIndex, c.ComponentIndex));
                own.Add(Cimi(c.Descriptor with { SystemTemplate = null }, CimiDescriptors.For<ComponentDescriptor>(), secrets, c.Descriptor.Name));
            }
            own.Add(Cimi(template with { ComponentDescriptors = null }, CimiDescriptors.For<SystemTemplate>(), secrets: null, componentName: null));
            collection.Add(own);
            var content = new List<XElement>();
            var components = template.ComponentDescriptors ?? [];
            for (var i = 0; i < components.Count; i++)
            {
                var d = components[i];
                var path = $"{id}/{d.Name}";
                if (d.SystemTemplate is { } nested) content.Add(System(nested, path, (d, i)));
                else if (d.MachineTemplate is { } machine) content.Add(Machine(d, i, path, machine, id, secrets));
                else
                {
                    if (d.VolumeTemplate is { } volume)
                        Disks.Add(Disk(path, volume.VolumeConfig?.Capacity, volume.VolumeConfig?.Format));
                    if (d.NetworkTemplate is not null)
                        Networks.Add(new XElement(OvfNames.Network, new XAttribute(NetworkName, path),
                            new XElement(OvfNames.Description, d.Description ?? $"The CIMI Network component '{d.Name}'")));
                    collection.Add(ComponentSection(d, i, null, secrets));
                }
            }
            if (secrets.Count > 0)
                collection.Add(new XElement(ProductSection, new XAttribute(Class, SecretsClass),
                    Info("Passwords are never exported: give each one's value (ovf:value) to import the envelope"), secrets));
            collection.Add(content);
            return collection;
        }

        private XElement Machine(ComponentDescriptor d, int index, string path, MachineTemplate machine, string systemId, List<XElement> secrets)
        {
            string? imageFile = null;
            if (machine.MachineImage?.ImageLocation is { } location)
            {
                imageFile = path + "/image";
                Files.Add(new XElement(OvfNames.File, new XAttribute(Id, imageFile), new XAttribute(Href, location)));
            }
            var items = new List<XElement>();
            var instance = 1;
            var config = machine.MachineConfig;
            if (config?.Cpu is { } cpu)
                items.Add(Item(instance++, Processor, $"{cpu} virtual CPU(s)", (RasdVirtualQuantity, cpu.ToString(CultureInfo.InvariantCulture))));
            if (config?.Memory is { } memory)
                items.Add(Item(instance++, OvfNames.Memory, $"{memory} KiB of memory", (RasdAllocationUnits, KibiBytes),
                    (RasdVirtualQuantity, memory.ToString(CultureInfo.InvariantCulture))));
            foreach (var (disk, i) in (config?.Disks ?? []).Select((disk, i) => (disk, i)))
            {
                var diskId = $"{path}/disk{i}";
                Disks.Add(Disk(diskId, disk.Capacity, disk.Format));
                items.Add(Item(instance++, DiskDrive, $"Disk {i} of the MachineConfiguration", (RasdHostResource, DiskReference + diskId)));
            }
            foreach (var (volume, i) in (machine.VolumeTemplates ?? []).Select((v, i) => (v, i)))
            {
                var diskId = $"{path}/volumeTemplate{i}";
                Disks.Add(Disk(diskId, volume.VolumeConfig?.Capacity, volume.VolumeConfig?.Format));
                items.Add(Item(instance++, DiskDrive, $"A new Volume for each Machine, at {volume.InitialLocation ?? "any location"}",
                    (RasdHostResource, DiskReference + diskId)));
            }
            // Only the System's own Volumes and Networks have a place in the envelope; a reference to an existing one of
            // the tenant's stays in the component's CIMI description alone.
            foreach (var volume in machine.Volumes ?? [])
            {
                if (SystemComponents.ReferencedName(volume.Href) is { } name)
                    items.Add(Item(instance++, DiskDrive, $"The System's Volume '{name}'", (RasdHostResource, DiskReference + $"{systemId}/{name}")));
            }
            foreach (var nic in machine.NetworkInterfaces ?? [])
            {
                if (SystemComponents.ReferencedName(nic.Network?.Href) is { } name)
                    items.Add(Item(instance++, EthernetAdapter, $"On the System's Network '{name}'", (RasdConnection, $"{systemId}/{name}")));
            }
            var scheme = machine.MachineImage?.ImageLocation is { } l && l.IndexOf(':') is > 0 and var colon ? l[..colon] : "any";
            return new XElement(VirtualSystem, new XAttribute(Id, path),
                Info($"The CIMI Machine component '{d.Name}' ({d.Quantity ?? 1} Machines)"),
                new XElement(OvfNames.Name, d.Name),
                ComponentSection(d, index, imageFile, secrets),
                new XElement(VirtualHardwareSection, Info("What each Machine of the component has"),
                    new XElement(OvfNs + "System",
                        new XElement(Vssd + "ElementName", "Virtual Hardware Family"),
                        new XElement(Vssd + "InstanceID", "0"),
                        new XElement(Vssd + "VirtualSystemIdentifier", path),
                        new XElement(Vssd + "VirtualSystemType", "cimigrains-" + scheme)),
                    items));
        }

        private XElement ComponentSection(ComponentDescriptor d, int index, string? imageFile, List<XElement> secrets)
        {
            var section = new XElement(OvfNames.ComponentSection, new XAttribute(Required, "false"), new XAttribute(ComponentIndex, index),
                Info($"The CIMI component '{d.Name}'"), Cimi(d, CimiDescriptors.For<ComponentDescriptor>(), secrets, d.Name));
            if (imageFile is not null) section.Add(new XAttribute(ImageFile, imageFile));
            return section;
        }

        /// <summary>The record in CIMI's own XML, every password taken out and listed in <paramref name="secrets"/>.</summary>
        private XElement Cimi(object record, CimiDescriptor descriptor, List<XElement>? secrets, string? componentName)
        {
            var json = CimiDocuments.FromRecord(record, descriptor, baseUri);
            foreach (var attribute in TakePasswords(json, ""))
            {
                secrets?.Add(new XElement(Property,
                    new XAttribute(Key, $"password{secrets.Count + 1}"), new XAttribute(OvfNames.Type, "string"),
                    new XAttribute(OvfNames.Password, "true"), new XAttribute(UserConfigurable, "true"),
                    new XAttribute(Component, componentName!), new XAttribute(OvfNames.Attribute, attribute),
                    new XElement(Label, $"Password of '{componentName}'"),
                    new XElement(OvfNames.Description, $"The password at '{attribute}' of the component '{componentName}'; it was not exported.")));
            }
            var document = new XDocument();
            using (var writer = document.CreateWriter()) CimiXmlWriter.WriteDocument(writer, json, descriptor);
            return document.Root!;
        }
    }

    /// <summary>Removes every <c>password</c> of the document; returns where each was (<c>credentialTemplate.password</c>).</summary>
    private static List<string> TakePasswords(JsonObject obj, string path)
    {
        var found = new List<string>();
        foreach (var (key, value) in obj.ToList())
        {
            var at = path.Length == 0 ? key : $"{path}.{key}";
            if (key == "password" && value is JsonValue)
            {
                obj.Remove(key);
                found.Add(at);
            }
            else if (value is JsonObject nested) found.AddRange(TakePasswords(nested, at));
        }
        return found;
    }

    private static XElement Disk(string id, long? capacityKiB, string? format)
    {
        var disk = new XElement(OvfNames.Disk, new XAttribute(DiskId, id),
            new XAttribute(Capacity, (capacityKiB ?? 0).ToString(CultureInfo.InvariantCulture)), new XAttribute(CapacityUnits, KibiBytes));
        if (format is not null) disk.Add(new XAttribute(DiskFormat, DiskFormatUri(format)));
        return disk;
    }

    private static XElement Item(int instance, int resourceType, string elementName, params (XName Name, string Value)[] values)
    {
        // CIM_ResourceAllocationSettingData's properties go in the schema's (alphabetical) order.
        var properties = values.Concat([
                (RasdElementName, elementName), (RasdInstanceId, instance.ToString(CultureInfo.InvariantCulture)),
                (RasdResourceType, resourceType.ToString(CultureInfo.InvariantCulture))])
            .OrderBy(p => p.Item1.LocalName, StringComparer.Ordinal)
            .Select(p => new XElement(p.Item1, p.Item2));
        return new XElement(OvfNames.Item, properties);
    }
}
