using System.Text.Json.Nodes;
using CimiGrains.ReadModel;

namespace CimiGrains.Gateway.Resources;

/// <summary>
/// <c>$expand</c> and <c>$select</c> on read answers, for single resources and for every item of a
/// collection. Expansion replaces references by the referenced documents (<c>href</c> kept), taken
/// from the read model in one query per nesting level — never one grain call per reference — and
/// so never containing a secret. Nested paths (<c>machineImage/relatedImage</c>) expand level by
/// level; <c>*</c> expands every reference of a level. Selection then keeps only the named
/// attributes (and <c>resourceURI</c>).
/// </summary>
public static class CimiProjection
{
    /// <summary>Stops a path like <c>a/a/a/…</c> from turning one request into many queries.</summary>
    public const int MaxExpandDepth = 4;

    public static bool Requested(HttpRequest request) =>
        request.Query.ContainsKey("$select") || request.Query.ContainsKey("$expand");

    public static async Task ApplyAsync(HttpContext context, JsonObject document, CimiDescriptor descriptor, bool isCollection)
    {
        var items = isCollection
            ? document.Where(p => p.Value is JsonArray && p.Key != "operations").SelectMany(p => p.Value!.AsArray()).Select(i => i!.AsObject()).ToList()
            : [document];
        var expand = List(context.Request, "$expand");
        var select = List(context.Request, "$select");
        if (expand is not null)
        {
            var request = context.RequestServices.GetRequiredService<CimiRequest>();
            var readModel = context.RequestServices.GetRequiredService<IResourceReader>();
            await ExpandAsync(readModel, request.TenantId, request.BaseUri, [.. items.Select(i => (i, descriptor))], PathTree(expand), 1,
                context.RequestAborted);
        }
        if (select is not null) Select(items, descriptor, select);
    }

    /// <summary>A comma-separated parameter (all occurrences), or null when it is absent.</summary>
    private static List<string>? List(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var values)) return null;
        var names = values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        return names.Count == 0 ? throw CimiRequestException.BadRequest($"{name} needs a comma-separated list of attribute names (or *).") : names;
    }

    public static void Select(IEnumerable<JsonObject> items, CimiDescriptor descriptor, IReadOnlyCollection<string> names)
    {
        if (names.Contains("*")) return;
        foreach (var name in names)
        {
            if (descriptor.Find(name) is null)
                throw CimiRequestException.BadRequest(
                    $"$select names '{name}', which is not an attribute of {descriptor.TypeName} (it has {string.Join(", ", descriptor.Attributes.Select(a => a.Name))}).");
        }
        foreach (var item in items)
        {
            foreach (var key in item.Select(p => p.Key).Where(k => k != "resourceURI" && !names.Contains(k)).ToList()) item.Remove(key);
        }
    }

    private sealed class Node : Dictionary<string, Node>;

    private static Node PathTree(IEnumerable<string> paths)
    {
        var root = new Node();
        foreach (var path in paths)
        {
            var segments = path.Split('/', StringSplitOptions.TrimEntries);
            if (segments.Length > MaxExpandDepth || segments.Any(s => s.Length == 0))
                throw CimiRequestException.BadRequest($"$expand path '{path}' must be 1 to {MaxExpandDepth} attribute names separated by '/'.");
            var node = root;
            foreach (var segment in segments) node = node.TryGetValue(segment, out var child) ? child : node[segment] = new Node();
        }
        return root;
    }

    private static bool Expandable(CimiAttribute attribute) =>
        attribute.Kind is CimiValueKind.Ref or CimiValueKind.RefArray or CimiValueKind.Struct && !attribute.IsXmlAttribute;

    private static async Task ExpandAsync(IResourceReader readModel, string tenantId, BaseUri baseUri,
        List<(JsonObject Node, CimiDescriptor Descriptor)> level, Node paths, int depth, CancellationToken ct)
    {
        if (paths.Count == 0 || level.Count == 0) return;
        var references = new List<(JsonObject Reference, string Id, Node Children)>();
        foreach (var (node, descriptor) in level)
        {
            var names = paths.ContainsKey("*")
                ? descriptor.Attributes.Where(Expandable).Select(a => (a.Name, Children: paths["*"]))
                : paths.Select(p => (Name: p.Key, Children: p.Value));
            foreach (var (name, rest) in names)
            {
                var attribute = descriptor.Find(name);
                if (attribute is null || !Expandable(attribute))
                    throw CimiRequestException.BadRequest(
                        $"$expand names '{name}', which is not a reference attribute of {descriptor.TypeName} " +
                        $"(its references: {string.Join(", ", descriptor.Attributes.Where(Expandable).Select(a => a.Name).DefaultIfEmpty("none"))}).");
                var value = node[name];
                var targets = value switch
                {
                    JsonArray array => array.OfType<JsonObject>(),
                    JsonObject obj => [obj],
                    _ => [],
                };
                foreach (var reference in targets)
                {
                    if (reference["href"]?.GetValue<string>() is { } href && baseUri.Relative(href) is { } id)
                        references.Add((reference, id, rest));
                }
            }
        }
        if (references.Count == 0) return;
        var found = (await readModel.GetManyAsync(tenantId, [.. references.Select(r => r.Id).Distinct()], ct))
            .ToDictionary(d => d.Id, StringComparer.Ordinal);
        var next = new Dictionary<Node, List<(JsonObject, CimiDescriptor)>>();
        foreach (var (reference, id, rest) in references)
        {
            if (!found.TryGetValue(id, out var stored) || CimiTypes.All.FirstOrDefault(t => t.TypeName == stored.Kind) is not { } type) continue;
            var descriptor = CimiDescriptors.For(type.ClrType);
            var expanded = CimiDocuments.FromStored(stored.Json, descriptor, baseUri);
            // Values sent alongside an href (a template's overrides) stay; the referenced document fills in the rest.
            var overrides = reference.Where(p => p.Key != "href").Select(p => (p.Key, Value: p.Value?.DeepClone())).ToList();
            var href = reference["href"]!.DeepClone();
            reference.Clear();
            reference["href"] = href;
            foreach (var (key, value) in expanded.ToList())
            {
                expanded.Remove(key);
                reference[key] = value;
            }
            foreach (var (key, value) in overrides) reference[key] = value;
            if (rest.Count > 0)
            {
                if (depth >= MaxExpandDepth) continue;
                (next.TryGetValue(rest, out var list) ? list : next[rest] = []).Add((reference, descriptor));
            }
        }
        foreach (var (rest, nodes) in next) await ExpandAsync(readModel, tenantId, baseUri, nodes, rest, depth + 1, ct);
    }
}
