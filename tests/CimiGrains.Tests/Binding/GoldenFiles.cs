using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CimiGrains.Tests.Binding;

/// <summary>
/// Reviewed copies of every document shape, under tests/CimiGrains.Tests/Golden. A test fails when
/// the server's rendering differs from the file; after an intended change, regenerate with
/// <c>CIMI_UPDATE_GOLDEN=1 ./test.sh</c> and review the diff like code.
/// </summary>
public static partial class GoldenFiles
{
    private static bool Updating => Environment.GetEnvironmentVariable("CIMI_UPDATE_GOLDEN") == "1";

    public static string Folder => Path.Combine(TestEnvironment.RepositoryRoot, "tests", "CimiGrains.Tests", "Golden");

    /// <summary>Indented, and escaping only what JSON requires, so the file reads as the wire text does ('+' and quotes unescaped).</summary>
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void VerifyJson(string name, JsonNode document) =>
        Verify(name + ".json", Normalize(document.ToJsonString(Indented)));

    public static void VerifyXml(string name, string xml) =>
        Verify(name + ".xml", Normalize(XDocument.Parse(xml).ToString()));

    /// <summary>Generated ids (32 hex digits), timestamps, ports, request ids and VNIs vary per run; goldens hold placeholders.</summary>
    public static string Normalize(string text)
    {
        text = HexId().Replace(text, "{id}");
        text = Timestamp().Replace(text, "{time}");
        text = Port().Replace(text, "127.0.0.1:{port}");
        text = RequestId().Replace(text, "${open}{requestId}${close}");
        // A Network's VNI comes from the cluster's allocator: which one depends on what other tests made first. 0 (never
        // allocated) stands for it, so the file stays a valid document.
        text = Vni().Replace(text, "${open}0");
        return text.ReplaceLineEndings("\n").TrimEnd() + "\n";
    }

    private static void Verify(string fileName, string actual)
    {
        var path = Path.Combine(Folder, fileName);
        if (Updating)
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"Golden file {path} is missing; create it with CIMI_UPDATE_GOLDEN=1 and review it.");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(expected == actual, $"{fileName} differs from its golden file {path}.\n--- expected\n{expected}\n--- actual\n{actual}");
    }

    [GeneratedRegex("[0-9a-f]{32}")]
    private static partial Regex HexId();

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Port();

    [GeneratedRegex(@"(?<open>""vni"": |<(?:\w+:)?vni(?: [^>]*)?>)\d+")]
    private static partial Regex Vni();

    [GeneratedRegex(@"(?<open>""requestId"": ""|<requestId>)[^""<]+(?<close>""|</requestId>)")]
    private static partial Regex RequestId();
}
