using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Writes CIMI documents as DSP0263 1.x XML, driven by the type descriptors: elements in schema order,
/// refs as <c>href</c> attributes, repeated singular elements for arrays, <c>property</c> and
/// <c>operation</c> elements, extensions in the CimiGrains namespace. Strict: a key the descriptor does
/// not know is a bug in the server and fails loudly rather than being dropped.
/// </summary>
public static class CimiXmlWriter
{
    private const string Cimi = CimiNamespaces.Cimi;
    private const string CollectionSuffix = "Collection";

    /// <summary>A resource document (or any registered top-level document) as the root element.</summary>
    public static void WriteDocument(XmlWriter writer, JsonObject document, CimiDescriptor descriptor)
    {
        writer.WriteStartElement(descriptor.TypeName, Cimi);
        DeclareExtensions(writer);
        WriteContent(writer, document, descriptor);
        writer.WriteEndElement();
    }

    /// <summary>
    /// A Collection: <c>&lt;Collection resourceURI="…XxxCollection"&gt;&lt;id/&gt;&lt;count/&gt;&lt;Xxx&gt;…&lt;/Xxx&gt;*&lt;operation/&gt;*</c>.
    /// Items are named after their type, so DSP8009's lax wildcard validates each against that type.
    /// </summary>
    public static void WriteCollection(XmlWriter writer, JsonObject collection, CimiDescriptor itemType)
    {
        writer.WriteStartElement("Collection", Cimi);
        DeclareExtensions(writer);
        writer.WriteAttributeString("resourceURI", Text(collection["resourceURI"]) ?? CimiUris.TypeUri(itemType.TypeName + "Collection"));
        WriteCollectionContent(writer, collection, itemType);
        writer.WriteEndElement();
    }

    /// <summary>id, count, the items named after their type, and operations (none in an expanded reference).</summary>
    private static void WriteCollectionContent(XmlWriter writer, JsonObject collection, CimiDescriptor itemType)
    {
        foreach (var (key, value) in collection)
        {
            switch (key)
            {
                case "resourceURI" or "href":
                    break;
                case "id" or "count":
                    writer.WriteElementString(key, Cimi, Text(value));
                    break;
                case "operations":
                    WriteOperations(writer, value);
                    break;
                default:
                    if (value is not JsonArray items) throw new InvalidOperationException($"Collection attribute '{key}' is not the item array.");
                    foreach (var item in items)
                    {
                        writer.WriteStartElement(itemType.TypeName, Cimi);
                        WriteContent(writer, item!.AsObject(), itemType);
                        writer.WriteEndElement();
                    }
                    break;
            }
        }
    }

    private static void DeclareExtensions(XmlWriter writer) =>
        writer.WriteAttributeString("xmlns", CimiNamespaces.ExtensionsPrefix, null, CimiNamespaces.Extensions);

    /// <summary>The XML attributes, then the child elements of one object, in descriptor order.</summary>
    private static void WriteContent(XmlWriter writer, JsonObject obj, CimiDescriptor descriptor)
    {
        if (Text(obj["href"]) is { } href) writer.WriteAttributeString("href", href);
        foreach (var attribute in descriptor.Attributes)
        {
            if (attribute.IsXmlAttribute && obj[attribute.Name] is { } value) writer.WriteAttributeString(attribute.XmlName, Text(value));
        }
        foreach (var (key, _) in obj)
        {
            if (key is not ("href" or "resourceURI") && descriptor.Find(key) is null)
                throw new InvalidOperationException($"'{key}' is not an attribute of {descriptor.TypeName}; the XML writer cannot place it.");
        }
        foreach (var attribute in descriptor.Attributes)
        {
            if (attribute.IsXmlAttribute || obj[attribute.Name] is not { } value) continue;
            WriteAttribute(writer, attribute, value);
        }
    }

    private static void WriteAttribute(XmlWriter writer, CimiAttribute attribute, JsonNode value)
    {
        var ns = attribute.XmlNamespace;
        if (attribute.IsScalarList)
        {
            foreach (var item in value.AsArray()) writer.WriteElementString(attribute.XmlName, ns, Text(item));
            return;
        }
        switch (attribute.Kind)
        {
            case CimiValueKind.String or CimiValueKind.Integer or CimiValueKind.Boolean or CimiValueKind.DateTime:
                writer.WriteElementString(attribute.XmlName, ns, Text(value));
                break;
            case CimiValueKind.Ref:
                WriteRef(writer, attribute.XmlName, ns, value.AsObject(), attribute.Nested);
                break;
            case CimiValueKind.RefArray:
                foreach (var item in value.AsArray()) WriteRef(writer, attribute.XmlName, ns, item!.AsObject(), null);
                break;
            case CimiValueKind.Struct:
                writer.WriteStartElement(attribute.XmlName, ns);
                WriteContent(writer, value.AsObject(), attribute.Nested!);
                writer.WriteEndElement();
                break;
            case CimiValueKind.StructArray:
                foreach (var item in value.AsArray())
                {
                    writer.WriteStartElement(attribute.XmlName, ns);
                    WriteContent(writer, item!.AsObject(), attribute.Nested!);
                    writer.WriteEndElement();
                }
                break;
            case CimiValueKind.Map:
                foreach (var (key, entry) in value.AsObject())
                {
                    writer.WriteStartElement(attribute.XmlName, ns);
                    // DSP8009 1.0.0 requires 'name'; Sirocco, Deltacloud and the 1.x text use 'key'. Both, so either reader finds it.
                    writer.WriteAttributeString("name", key);
                    writer.WriteAttributeString("key", key);
                    writer.WriteString(Text(entry));
                    writer.WriteEndElement();
                }
                break;
            case CimiValueKind.Operations:
                WriteOperations(writer, value);
                break;
        }
    }

    /// <summary>A reference; an expanded one ($expand) carries the referenced document, typed by its resourceURI.</summary>
    private static void WriteRef(XmlWriter writer, string name, string ns, JsonObject reference, CimiDescriptor? declared)
    {
        writer.WriteStartElement(name, ns);
        var typeUri = Text(reference["resourceURI"]);
        // An expanded collection reference (the entry point's $expand): DSP8009's XxxCollRef, href then id, count, items.
        if (typeUri is not null && typeUri.EndsWith(CollectionSuffix, StringComparison.Ordinal)
            && CimiDescriptors.ByTypeUri(typeUri[..^CollectionSuffix.Length]) is { } itemType)
        {
            if (Text(reference["href"]) is { } collectionHref) writer.WriteAttributeString("href", collectionHref);
            WriteCollectionContent(writer, reference, itemType);
            writer.WriteEndElement();
            return;
        }
        var target = CimiDescriptors.ByTypeUri(typeUri) ?? declared;
        if (target is not null && reference.Count > 1) WriteContent(writer, reference, target);
        else if (Text(reference["href"]) is { } href) writer.WriteAttributeString("href", href);
        writer.WriteEndElement();
    }

    private static void WriteOperations(XmlWriter writer, JsonNode? operations)
    {
        foreach (var operation in operations?.AsArray() ?? [])
        {
            writer.WriteStartElement("operation", Cimi);
            writer.WriteAttributeString("rel", Text(operation!["rel"]));
            writer.WriteAttributeString("href", Text(operation["href"]));
            writer.WriteEndElement();
        }
    }

    /// <summary>The XML text of a JSON scalar: lowercase booleans, invariant numbers, strings as they are.</summary>
    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        JsonValue v => Convert.ToString(v.GetValue<object>(), CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"A structured value ({node.ToJsonString()}) cannot be written as XML text."),
    };
}
