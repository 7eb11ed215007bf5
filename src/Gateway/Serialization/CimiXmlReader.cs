using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Reads a CIMI XML request body into the same JSON document shape the JSON reader produces, driven
/// by the expected type's descriptor, so binding and validation are shared. Tolerant the way real
/// clients need: a root element name in any case, a missing namespace (or the CimiGrains one), repeated
/// elements with singular names, properties keyed by <c>key</c> or <c>name</c>, values padded with
/// whitespace. Elements in foreign namespaces (another provider's extensions) are ignored.
/// The walk recurses once per element level and refuses to go deeper than
/// <see cref="CimiDocumentLimits.MaxDepth"/>, whoever built the tree (request bodies are checked
/// before the tree is built, see <see cref="CimiXml.Read(byte[], string)"/>).
/// </summary>
public static class CimiXmlReader
{
    public static JsonObject Read(XElement root, CimiDescriptor expected)
    {
        if (!string.Equals(root.Name.LocalName, expected.TypeName, StringComparison.OrdinalIgnoreCase))
            throw CimiRequestException.BadRequest(
                $"The XML body's root element is <{root.Name.LocalName}>, but a {expected.TypeName} was expected here.");
        if (!IsOurs(root.Name.Namespace))
            throw CimiRequestException.BadRequest(
                $"The XML body's root element is in namespace '{root.Name.NamespaceName}'; CIMI documents use {CimiNamespaces.Cimi}.");
        return ReadContent(root, expected, root.Name.LocalName, 1);
    }

    private static bool IsOurs(XNamespace ns) =>
        ns == XNamespace.None || ns.NamespaceName is CimiNamespaces.Cimi or CimiNamespaces.Extensions;

    private static JsonObject ReadContent(XElement element, CimiDescriptor? descriptor, string path, int depth)
    {
        if (depth > CimiDocumentLimits.MaxDepth) throw CimiDocumentLimits.TooDeep();
        var obj = new JsonObject();
        foreach (var xmlAttribute in element.Attributes())
        {
            if (xmlAttribute.IsNamespaceDeclaration || xmlAttribute.Name.Namespace != XNamespace.None) continue;
            var local = xmlAttribute.Name.LocalName;
            if (local == "href") obj["href"] = xmlAttribute.Value;
            else if (descriptor?.FindXml(local) is { IsXmlAttribute: true } attribute) obj[attribute.Name] = Scalar(attribute, xmlAttribute.Value);
        }
        foreach (var child in element.Elements())
        {
            if (!IsOurs(child.Name.Namespace)) continue;
            var local = child.Name.LocalName;
            var at = $"{path}/{local}";
            var attribute = descriptor?.FindXml(local);
            if (attribute is null || attribute.IsXmlAttribute)
            {
                // Unknown to the type: kept under its own name so binding rejects it by name, as for JSON.
                if (obj.ContainsKey(local)) throw Duplicate(at);
                obj[local] = child.HasElements ? ReadContent(child, null, at, depth + 1) : child.Value;
                continue;
            }
            if (attribute.IsScalarList)
            {
                Array(obj, attribute.Name).Add(Scalar(attribute, child.Value));
                continue;
            }
            switch (attribute.Kind)
            {
                case CimiValueKind.String or CimiValueKind.Integer or CimiValueKind.Boolean or CimiValueKind.DateTime:
                    if (obj.ContainsKey(attribute.Name)) throw Duplicate(at);
                    // <x href="…"/> for a value is read as JSON's {"href": …}: binding rejects it by name unless
                    // the API takes that form (a MachineImage's imageLocation, as some clients write it).
                    obj[attribute.Name] = !child.HasElements && string.IsNullOrWhiteSpace(child.Value) && child.Attribute("href") is { } valueHref
                        ? new JsonObject { ["href"] = valueHref.Value }
                        : Scalar(attribute, child.Value);
                    break;
                case CimiValueKind.Ref or CimiValueKind.Struct:
                    if (obj.ContainsKey(attribute.Name)) throw Duplicate(at);
                    obj[attribute.Name] = ReadContent(child, attribute.Nested, at, depth + 1);
                    break;
                case CimiValueKind.RefArray or CimiValueKind.StructArray:
                    Array(obj, attribute.Name).Add(ReadContent(child, attribute.Nested, at, depth + 1));
                    break;
                case CimiValueKind.Map:
                    var key = child.Attribute("key")?.Value ?? child.Attribute("name")?.Value
                        ?? throw CimiRequestException.BadRequest($"<{local}> at {at} needs a 'key' (or 'name') attribute.");
                    var map = obj[attribute.Name] as JsonObject ?? (JsonObject)(obj[attribute.Name] = new JsonObject());
                    if (map.ContainsKey(key)) throw CimiRequestException.BadRequest($"Property '{key}' is given more than once.");
                    map[key] = child.Value;
                    break;
                case CimiValueKind.Operations:
                    Array(obj, attribute.Name).Add(new JsonObject
                    {
                        ["rel"] = child.Attribute("rel")?.Value,
                        ["href"] = child.Attribute("href")?.Value,
                    });
                    break;
            }
        }
        return obj;
    }

    private static JsonArray Array(JsonObject obj, string name) =>
        obj[name] as JsonArray ?? (JsonArray)(obj[name] = new JsonArray());

    /// <summary>A typed JSON value from element text; text that does not parse stays a string so binding names the attribute.</summary>
    private static JsonNode? Scalar(CimiAttribute attribute, string text)
    {
        var trimmed = text.Trim();
        return attribute.Kind switch
        {
            CimiValueKind.Integer when long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
            CimiValueKind.Boolean when trimmed is "true" or "1" => JsonValue.Create(true),
            CimiValueKind.Boolean when trimmed is "false" or "0" => JsonValue.Create(false),
            _ => JsonValue.Create(text),
        };
    }

    private static CimiRequestException Duplicate(string at) =>
        CimiRequestException.BadRequest($"<{at.TrimStart('/')}> appears more than once, but the attribute holds a single value.");
}
