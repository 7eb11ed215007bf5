using System.Reflection;

namespace CimiGrains.Common;

/// <summary>
/// Every registered CIMI type: each <c>public static</c> <see cref="CimiTypeRegistration"/> declared in
/// this assembly (one <c>…Registration</c> class per type, beside its record), so adding a type adds
/// no line here. Ordered as DSP8009 orders the CloudEntryPoint's collections; a type the schema does
/// not list (a CimiGrains extension) comes after them, by name.
/// </summary>
public static class CimiTypeRegistry
{
    /// <summary>DSP8009 1.0.0's CloudEntryPoint collection attributes, in schema order.</summary>
    public static readonly IReadOnlyList<string> EntryPointOrder =
    [
        "systems", "systemTemplates", "machines", "machineTemplates", "machineConfigs", "machineImages", "credentials",
        "credentialTemplates", "volumes", "volumeTemplates", "volumeConfigs", "volumeImages", "networks", "networkTemplates",
        "networkConfigs", "networkPorts", "networkPortTemplates", "networkPortConfigs", "addresses", "addressTemplates", "forwardingGroups",
        "forwardingGroupTemplates", "jobs", "meters", "meterTemplates", "meterConfigs", "eventLogs", "eventLogTemplates",
    ];

    private static readonly Lazy<IReadOnlyList<CimiTypeRegistration>> Registrations = new(Collect);

    public static IReadOnlyList<CimiTypeRegistration> All => Registrations.Value;

    public static CimiTypeRegistration? ForTypeName(string typeName) =>
        All.FirstOrDefault(r => string.Equals(r.TypeName, typeName, StringComparison.Ordinal));

    public static CimiTypeRegistration? ForSegment(string segment) =>
        All.FirstOrDefault(r => string.Equals(r.Kind.CollectionSegment, segment, StringComparison.Ordinal));

    public static CimiTypeRegistration? ForRecord(Type record) => All.FirstOrDefault(r => r.Record == record);

    private static List<CimiTypeRegistration> Collect()
    {
        const BindingFlags Static = BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = typeof(CimiTypeRegistry).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: true, IsSealed: true }) // static classes
            .SelectMany(t => t.GetFields(Static).Where(f => f.FieldType == typeof(CimiTypeRegistration)).Select(f => f.GetValue(null))
                .Concat(t.GetProperties(Static).Where(p => p.PropertyType == typeof(CimiTypeRegistration)).Select(p => p.GetValue(null))))
            .Cast<CimiTypeRegistration>()
            .ToList();
        Check(found);
        return [.. found.OrderBy(r => EntryPointOrder.IndexOf(r.EntryPointAttribute) is var i and >= 0 ? i : int.MaxValue)
            .ThenBy(r => r.TypeName, StringComparer.Ordinal)];
    }

    /// <summary>A registration that contradicts another or itself fails the first use of the registry, not a request.</summary>
    private static void Check(List<CimiTypeRegistration> registrations)
    {
        static void Unique(IEnumerable<string> values, string what)
        {
            if (values.GroupBy(v => v, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new InvalidOperationException($"Two CIMI type registrations share the {what} '{twice.Key}'.");
        }
        Unique(registrations.Select(r => r.TypeName), "type name");
        Unique(registrations.Select(r => r.Kind.CollectionSegment), "collection segment");
        Unique(registrations.Select(r => r.EntryPointAttribute), "CloudEntryPoint attribute");
        foreach (var r in registrations)
        {
            if (!typeof(CimiResource).IsAssignableFrom(r.Record))
                throw new InvalidOperationException($"The {r.TypeName} registration names {r.Record.Name}, which is not a CimiResource.");
            var crud = typeof(ICimiResourceGrain<>).MakeGenericType(r.Record);
            if (r.Routing != CimiRouting.Custom && !crud.IsAssignableFrom(r.Grain))
                throw new InvalidOperationException($"The {r.TypeName} registration routes generically, but {r.Grain.Name} is not an ICimiResourceGrain<{r.Record.Name}>.");
            if (!r.ElementOrder.Take(CimiTypeRegistration.CommonElements.Count).SequenceEqual(CimiTypeRegistration.CommonElements))
                throw new InvalidOperationException($"The {r.TypeName} element order must start with the common elements ({string.Join(", ", CimiTypeRegistration.CommonElements)}).");
        }
    }

    private static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}
