using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Systems;

namespace CimiGrains.Grains.Systems;

/// <summary>
/// Checks a SystemTemplate as a whole before anything is made from it or stored (<see cref="SystemComponents"/>
/// states the rules), and expands it: a template by reference becomes its value with the overrides applied, and
/// so does every nested SystemTemplate, so that a System's plan never changes under it after it is accepted. Every
/// fault is Invalid and names the component (by its path, <c>componentDescriptors[1] 'web'</c>) and the problem.
/// </summary>
public static class SystemTemplates
{
    /// <summary>The expanded template and how many resources a System made from it makes.</summary>
    public sealed record Expanded(SystemTemplate Template, int Resources);

    /// <summary>Checks and expands <paramref name="template"/>; <paramref name="selfId"/> is the stored template being
    /// written, if it is one (naming itself, directly or through others, is then a cycle).</summary>
    public static async Task<Expanded> ExpandAsync(IGrainFactory grains, ResourceReadModel readModel, string tenantId, SystemTemplate template,
        string? selfId = null)
    {
        var expanded = await ExpandAsync(grains, readModel, tenantId, template, "systemTemplate", 1, selfId is null ? [] : [selfId]);
        if (expanded.Resources > SystemComponents.MaxResources)
            throw CimiException.Invalid($"The SystemTemplate makes {expanded.Resources} resources (nested Systems included); at most " +
                $"{SystemComponents.MaxResources} are allowed.");
        return expanded;
    }

    private static async Task<Expanded> ExpandAsync(IGrainFactory grains, ResourceReadModel readModel, string tenantId,
        SystemTemplate template, string path, int depth, IReadOnlyList<string> chain)
    {
        if (template.Href is { } href)
        {
            if (chain.Contains(href))
                throw CimiException.Invalid($"'{path}' references SystemTemplate '{href}', which contains itself ({string.Join(" → ", chain.Append(href))}).");
            var stored = await References.ResolveAsync<ISystemTemplateGrain, SystemTemplate>(grains, tenantId,
                SystemTemplateRegistration.Type.Kind, path, href);
            // Attributes given beside the href override the stored ones (DSP0263 "by reference with overrides").
            template = Merge(stored, template) with { Href = null, Id = null, Created = null, Updated = null, Operations = null };
            chain = [.. chain, href];
        }
        CommonValidation.Check(template);
        if (!SystemPlacement.IsKnown(template.PlacementPolicy))
            throw CimiException.Invalid($"'{path}.placementPolicy' is '{template.PlacementPolicy}'; use {string.Join(", ", SystemPlacement.All)}.");
        var components = template.ComponentDescriptors ?? [];
        if (components.Count > SystemComponents.MaxComponents)
            throw CimiException.Invalid($"'{path}' has {components.Count} componentDescriptors; at most {SystemComponents.MaxComponents} are allowed.");

        var byName = new Dictionary<string, (int Index, SystemMemberKind Kind, int Quantity)>(StringComparer.Ordinal);
        var resources = 0;
        var expandedComponents = new List<ComponentDescriptor>(components.Count);
        for (var i = 0; i < components.Count; i++)
        {
            var c = components[i] ?? throw CimiException.Invalid($"'{path}.componentDescriptors[{i}]' is empty.");
            var at = $"{path}.componentDescriptors[{i}]";
            if (!SystemComponents.IsValidName(c.Name))
                throw CimiException.Invalid($"'{at}.name' must be 1 to 64 letters, digits, '-', '_' or '.' (other components name it by '#name').");
            at = $"{at} '{c.Name}'";
            if (byName.ContainsKey(c.Name!)) throw CimiException.Invalid($"{at}: another component of the template has the same name.");
            var kind = KindOf(c, at);
            var quantity = c.Quantity ?? 1;
            if (quantity is < 1 or > SystemComponents.MaxResources)
                throw CimiException.Invalid($"{at}: 'quantity' is {quantity}; it must be from 1 to {SystemComponents.MaxResources}.");
            if (c.Description is { Length: > CommonValidation.MaxDescriptionLength })
                throw CimiException.Invalid($"{at}: 'description' is longer than {CommonValidation.MaxDescriptionLength} characters.");
            if (depth == SystemComponents.MaxDepth && kind == SystemMemberKind.System)
                throw CimiException.Invalid($"{at}: Systems nest at most {SystemComponents.MaxDepth} deep.");
            byName[c.Name!] = (i, kind, quantity);
            if (kind == SystemMemberKind.System)
            {
                var nested = await ExpandAsync(grains, readModel, tenantId, c.SystemTemplate!, $"{at}.systemTemplate", depth + 1, chain);
                resources += quantity * (1 + nested.Resources);
                expandedComponents.Add(c with { SystemTemplate = nested.Template, Quantity = quantity });
            }
            else
            {
                resources += quantity;
                expandedComponents.Add(c with { Quantity = quantity });
            }
            if (resources > SystemComponents.MaxResources)
                throw CimiException.Invalid($"The SystemTemplate makes more than {SystemComponents.MaxResources} resources (nested Systems included), " +
                    $"counting up to {at}.");
        }

        // Every href inside a component's template: '#name' must name a component that fits there; any other must
        // name a resource of the tenant (one query for all of them).
        var hrefs = new List<(string At, string Href)>();
        for (var i = 0; i < expandedComponents.Count; i++)
        {
            var c = expandedComponents[i];
            if (c.SystemTemplate is not null) continue; // checked as a template of its own
            var at = $"{path}.componentDescriptors[{i}] '{c.Name}'";
            var kind = byName[c.Name!].Kind;
            foreach (var (attribute, reference) in HrefsOf(c))
            {
                if (SystemComponents.ReferencedName(reference) is not { } name)
                {
                    hrefs.Add(($"{at}: '{attribute}'", reference));
                    continue;
                }
                if (!byName.TryGetValue(name, out var target))
                    throw CimiException.Invalid($"{at}: '{attribute}' is '#{name}', and the template has no component named '{name}'.");
                if (SystemComponents.ReferenceTarget(kind, AttributeName(attribute)) is not { } expected)
                    throw CimiException.Invalid($"{at}: '{attribute}' is '#{name}'; a component is named only at {SystemComponents.DescribeReferences()}.");
                if (target.Kind != expected)
                    throw CimiException.Invalid($"{at}: '{attribute}' is '#{name}', {SystemComponents.A(target.Kind)} component; it must name {SystemComponents.A(expected)} component.");
                if (target.Kind == SystemMemberKind.NetworkPort && target.Quantity != c.Quantity)
                    throw CimiException.Invalid($"{at}: '{attribute}' names '{name}' ({target.Quantity} of them) from a component of {c.Quantity}; " +
                        "a NetworkPort is used by one interface at a time, so the named component must have the same quantity (one each).");
                if (target.Quantity != 1 && target.Quantity != c.Quantity)
                    throw CimiException.Invalid($"{at}: '{attribute}' names '{name}' ({target.Quantity} of them) from a component of {c.Quantity}; " +
                        "the named component must have quantity 1 (shared) or the same quantity (one each).");
            }
        }
        // Components that name each other in a circle could never be made in any order.
        WavesOf(expandedComponents, path);
        if (hrefs.Count > 0)
        {
            var found = (await readModel.GetManyAsync(tenantId, hrefs.Select(h => h.Href).Distinct().ToList(), CancellationToken.None))
                .Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            if (hrefs.FirstOrDefault(h => !found.Contains(h.Href)) is { At: not null } missing)
                throw CimiException.MissingReference($"{missing.At} references '{missing.Href}', which does not exist.");
        }
        return new Expanded(template with { Href = null, ComponentDescriptors = expandedComponents }, resources);
    }

    /// <summary>A stored template named by reference, with the attributes given beside the href overriding its own.</summary>
    public static SystemTemplate Merge(SystemTemplate stored, SystemTemplate overrides) => stored with
    {
        Name = overrides.Name ?? stored.Name, Description = overrides.Description ?? stored.Description,
        Properties = overrides.Properties ?? stored.Properties,
        ComponentDescriptors = overrides.ComponentDescriptors ?? stored.ComponentDescriptors,
        PlacementPolicy = overrides.PlacementPolicy ?? stored.PlacementPolicy,
        MeterTemplates = overrides.MeterTemplates ?? stored.MeterTemplates,
        EventLogTemplate = overrides.EventLogTemplate ?? stored.EventLogTemplate,
    };

    /// <summary>The member kind of a component's <c>type</c>, checking that it carries the one template of that type.</summary>
    public static SystemMemberKind KindOf(ComponentDescriptor c, string at)
    {
        var typeName = c.Type is { } uri && uri.StartsWith(CimiUris.Namespace + "/", StringComparison.Ordinal) ? uri[(CimiUris.Namespace.Length + 1)..] : null;
        var type = SystemComponents.Types.FirstOrDefault(t => t.TypeName == typeName)
            ?? throw CimiException.Invalid($"{at}: 'type' is '{c.Type}'; a component is one of " +
                string.Join(", ", SystemComponents.Types.Select(t => CimiUris.TypeUri(t.TypeName))) + ".");
        var given = SystemComponents.Types.Where(t => t.Template(c) is not null).Select(t => t.TemplateAttribute).ToList();
        if (given.Count == 0 || !given.Contains(type.TemplateAttribute))
            throw CimiException.Invalid($"{at}: a {type.TypeName} component needs a '{type.TemplateAttribute}' (by reference or by value).");
        if (given.Count > 1)
            throw CimiException.Invalid($"{at}: a {type.TypeName} component carries only its '{type.TemplateAttribute}', not " +
                string.Join(", ", given.Where(g => g != type.TemplateAttribute).Select(g => $"'{g}'")) + ".");
        return type.Kind;
    }

    /// <summary>The wave of each component: 0 when it names no other component, else one more than the highest wave of those
    /// it names, so that every component is made after what it names stands. A cycle is Invalid, naming it. The names were
    /// checked (<see cref="ExpandAsync(IGrainFactory, ResourceReadModel, string, SystemTemplate, string?)"/>).</summary>
    public static IReadOnlyList<int> WavesOf(IReadOnlyList<ComponentDescriptor> components, string path = "systemTemplate")
    {
        var index = components.Select((c, i) => (c.Name!, i)).ToDictionary(p => p.Item1, p => p.i, StringComparer.Ordinal);
        var names = components.Select(c => c.SystemTemplate is not null ? []
            : HrefsOf(c).Select(h => SystemComponents.ReferencedName(h.Href)).OfType<string>().Distinct().Select(n => index[n]).ToList()).ToList();
        var waves = new int?[components.Count];
        var visiting = new List<int>();
        int Wave(int c)
        {
            if (waves[c] is { } known) return known;
            if (visiting.IndexOf(c) is var from and >= 0)
                throw CimiException.Invalid($"'{path}': the components " +
                    string.Join(" → ", visiting[from..].Append(c).Select(i => $"'{components[i].Name}'")) +
                    " name each other in a cycle, so none of them could be made first.");
            visiting.Add(c);
            var wave = names[c].Count == 0 ? 0 : 1 + names[c].Max(Wave);
            visiting.RemoveAt(visiting.Count - 1);
            waves[c] = wave;
            return wave;
        }
        return [.. Enumerable.Range(0, components.Count).Select(Wave)];
    }

    /// <summary>The component's template as a JSON object (the one it carries).</summary>
    public static JsonObject TemplateJson(ComponentDescriptor c)
    {
        // By its own type: the table holds templates as CimiResource, whose own attributes are only the common ones.
        var template = TypeOf(c).Template(c)!;
        return (JsonObject)JsonSerializer.SerializeToNode(template, template.GetType(), CimiJson.Options)!;
    }

    private static SystemComponents.ComponentType TypeOf(ComponentDescriptor c) => SystemComponents.Types.First(t => t.Template(c) is not null);

    /// <summary>Every href in the component's template, with the attribute path that holds it.</summary>
    public static List<(string Attribute, string Href)> HrefsOf(ComponentDescriptor c)
    {
        var found = new List<(string, string)>();
        VisitHrefs(TemplateJson(c), TypeOf(c).TemplateAttribute, (attribute, href) =>
        {
            found.Add((attribute, href));
            return null;
        });
        return found;
    }

    /// <summary>
    /// The one walk over a component's template: <paramref name="visit"/> sees every href (a string <c>href</c> anywhere in
    /// it) with the path of the object holding it (<c>machineTemplate.networkInterfaces[0].network</c>), and what it answers,
    /// when not null, replaces the href. The checks read the hrefs with it, the plan rewrites '#name' with it.
    /// </summary>
    public static void VisitHrefs(JsonNode? node, string path, Func<string, string, string?> visit)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == "href" && value is JsonValue v && v.TryGetValue<string>(out var href))
                    {
                        if (visit(path, href) is { } replacement) obj[key] = replacement;
                    }
                    else VisitHrefs(value, $"{path}.{key}", visit);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) VisitHrefs(array[i], $"{path}[{i}]", visit);
                break;
        }
    }

    /// <summary>The attribute an href path ends in, without its index (<c>networks</c> of <c>forwardingGroupTemplate.networks[1]</c>).</summary>
    private static string AttributeName(string path) => path[(path.LastIndexOf('.') + 1)..].Split('[')[0];

}
