using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Serialization;
using CimiGrains.Gateway.CloudEntryPoint;
using CimiGrains.Gateway.Machines;
using Metadata = CimiGrains.Gateway.ResourceMetadata;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Every CIMI type CimiGrains reads or writes, each described once from its CLR record. The one
/// hand-kept fact per type is the element order of the DMTF schema (DSP8009 1.0.0), which the CLR
/// type cannot know; any CLR property that the schema does not list for the type is a CimiGrains
/// extension and is written in the extensions namespace after <c>operation</c>.
/// </summary>
public static class CimiDescriptors
{
    private static readonly IReadOnlyList<string> Common = CimiTypeRegistration.CommonElements;

    /// <summary>
    /// DSP8009 element order per type (JSON names; repeated elements by their plural JSON name): each
    /// registered type's and its family documents' from its registration, and the binding's own
    /// documents (the CloudEntryPoint, Action, ResourceMetadata) here.
    /// </summary>
    private static readonly Dictionary<Type, (string TypeName, IReadOnlyList<string>? Order)> Registrations = Collect();

    private static Dictionary<Type, (string TypeName, IReadOnlyList<string>? Order)> Collect()
    {
        var table = new Dictionary<Type, (string TypeName, IReadOnlyList<string>? Order)>
        {
            [typeof(CloudEntryPointResource)] = ("CloudEntryPoint",
                [.. Common, "baseURI", "resourceMetadata", .. CimiTypeRegistry.EntryPointOrder, "operations"]),
            [typeof(MachineImageCreate)] = ("MachineImageCreate", [.. Common, "type", "imageLocation"]),
            [typeof(ActionDocument)] = ("Action", null),
            // DSP8009 1.0.0 allows a single <attribute> (maxOccurs defaults to 1, an erratum of that
            // version), so the attribute list travels as repeated extension elements; see ResourceMetadataRecord.
            [typeof(Metadata.ResourceMetadataRecord)] = ("ResourceMetadata", ["id", "name", "typeURI", "capabilities", "actions", "operations"]),
            [typeof(Metadata.AttributeMetadata)] = ("attribute", null),
            [typeof(Metadata.CapabilityMetadata)] = ("capability", null),
            [typeof(Metadata.ActionMetadata)] = ("action", null),
            [typeof(Metadata.ValueRange)] = ("range", null),
        };
        foreach (var type in CimiTypeRegistry.All)
        {
            table.Add(type.Record, (type.TypeName, type.ElementOrder));
            foreach (var document in type.Documents) table.Add(document.Record, (document.TypeName, document.ElementOrder));
        }
        return table;
    }

    private static readonly ConcurrentDictionary<Type, CimiDescriptor> ByClrType = new();
    private static readonly Lazy<FrozenDictionary<string, CimiDescriptor>> ByName = new(() =>
        Registrations.Where(r => r.Value.Order is not null || r.Key == typeof(ActionDocument))
            .ToFrozenDictionary(r => r.Value.TypeName, r => For(r.Key), StringComparer.OrdinalIgnoreCase));

    /// <summary>The resource types a consumer can list, read or POST, and the documents that wrap them.</summary>
    public static IEnumerable<CimiDescriptor> Documents => ByName.Value.Values;

    public static CimiDescriptor For(Type clrType) => ByClrType.GetOrAdd(clrType, Build);

    public static CimiDescriptor For<T>() => For(typeof(T));

    /// <summary>A top-level document type by its CIMI name (case-insensitive, as the XML reader needs).</summary>
    public static CimiDescriptor? ByTypeName(string typeName) => ByName.Value.GetValueOrDefault(typeName);

    /// <summary>The document type a type URI (<c>…/cimi/1/Machine</c>) names, if any.</summary>
    public static CimiDescriptor? ByTypeUri(string? typeUri) =>
        typeUri is not null && typeUri.StartsWith(CimiUris.Namespace + "/", StringComparison.Ordinal)
            ? ByTypeName(typeUri[(CimiUris.Namespace.Length + 1)..])
            : null;

    private static CimiDescriptor Build(Type clrType)
    {
        var (typeName, order) = Registrations.TryGetValue(clrType, out var r) ? r : (clrType.Name, null);
        var attributes = new List<CimiAttribute>();
        foreach (var property in PropertiesInDeclarationOrder(clrType))
        {
            if (property.Name == nameof(CimiResource.Href) || property.GetCustomAttribute<JsonIgnoreAttribute>() is not null
                || property.GetCustomAttribute<JsonExtensionDataAttribute>() is not null) continue;
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            var isExtension = order is not null && !order.Contains(name);
            attributes.Add(Describe(property, name, isExtension));
        }
        if (clrType == typeof(CloudEntryPointResource))
        {
            // One collection link per registered type, named by its CloudEntryPoint attribute; a type
            // DSP8009 does not list is a CimiGrains extension.
            attributes.AddRange(CimiTypeRegistry.All.Select(t => new CimiAttribute(t.EntryPointAttribute, t.EntryPointAttribute,
                CimiValueKind.Ref, typeof(ResourceRef), order is not null && !order.Contains(t.EntryPointAttribute), false, null, null)));
        }
        if (order is not null)
        {
            // Schema order first, extensions after (in declaration order): DSP8009's xs:any ##other comes last.
            attributes = [.. attributes.OrderBy(a => a.IsExtension ? int.MaxValue : Position(order, a.Name))];
        }
        return new CimiDescriptor(typeName, clrType, attributes);
    }

    private static CimiAttribute Describe(PropertyInfo property, string name, bool isExtension)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var xmlAttribute = property.GetCustomAttribute<XmlAttributeAttribute>();
        var xmlElement = property.GetCustomAttribute<XmlElementAttribute>();
        Func<CimiDescriptor?>? nested = null;
        IReadOnlyList<string>? values = null;
        CimiValueKind kind;
        if (type == typeof(string)) kind = CimiValueKind.String;
        else if (type.IsEnum)
        {
            kind = CimiValueKind.String;
            values = Enum.GetNames(type);
        }
        else if (type == typeof(int) || type == typeof(long)) kind = CimiValueKind.Integer;
        else if (type == typeof(bool)) kind = CimiValueKind.Boolean;
        else if (type == typeof(DateTimeOffset)) kind = CimiValueKind.DateTime;
        else if (type == typeof(ResourceRef)) kind = CimiValueKind.Ref;
        else if (type == typeof(IReadOnlyDictionary<string, string>)) kind = CimiValueKind.Map;
        else if (type == typeof(IReadOnlyList<Operation>)) kind = CimiValueKind.Operations;
        else if (type == typeof(IReadOnlyList<ResourceRef>)) kind = CimiValueKind.RefArray;
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var item = type.GetGenericArguments()[0];
            if (item == typeof(string) || item == typeof(long) || item == typeof(int))
                kind = item == typeof(string) ? CimiValueKind.String : CimiValueKind.Integer;
            else
            {
                kind = CimiValueKind.StructArray;
                nested = () => For(item);
            }
            if (kind != CimiValueKind.StructArray)
            {
                // A list of scalars (ResourceMetadata value lists) repeats a scalar element.
                return new CimiAttribute(name, xmlElement?.ElementName is { Length: > 0 } e ? e : Singular(name), kind, property.PropertyType,
                    isExtension, false, null, null) { IsScalarList = true };
            }
        }
        else if (type.IsClass)
        {
            kind = CimiValueKind.Struct;
            nested = () => For(type);
        }
        else throw new InvalidOperationException($"{property.DeclaringType?.Name}.{property.Name} has a type ({type}) CIMI cannot render.");

        var repeated = kind is CimiValueKind.RefArray or CimiValueKind.StructArray or CimiValueKind.Operations or CimiValueKind.Map;
        var xmlName = xmlAttribute?.AttributeName is { Length: > 0 } a ? a
            : xmlElement?.ElementName is { Length: > 0 } el ? el
            : repeated ? Singular(name) : name;
        return new CimiAttribute(name, xmlName, kind, property.PropertyType, isExtension, xmlAttribute is not null, nested, values);
    }

    private static int Position(IReadOnlyList<string> order, string name)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == name) return i;
        }
        return -1;
    }

    /// <summary>Base-class properties first (the common attributes), then each type's own in source order.</summary>
    private static IEnumerable<PropertyInfo> PropertiesInDeclarationOrder(Type type)
    {
        var chain = new List<Type>();
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType) chain.Insert(0, t);
        return chain.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken));
    }

    /// <summary>DSP0263 1.x names repeated XML elements in the singular (<c>disks</c> → <c>disk</c>).</summary>
    public static string Singular(string plural) =>
        plural.EndsWith("ies", StringComparison.Ordinal) ? plural[..^3] + "y"
        : plural.EndsWith('s') ? plural[..^1]
        : plural;
}
