using System.Text.Json.Nodes;

namespace KubeSandbox.Tests;

/// <summary>Files under tests/testdata, found from the test's output directory.</summary>
internal static class TestData
{
    private static readonly string Root = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, "tests", "testdata", .. parts]);

    public static JsonNode Json(params string[] parts) => JsonNode.Parse(File.ReadAllText(Path(parts)))!;

    /// <summary>A k8s-golden exchange by its number ("01" is 01-get-version.json).</summary>
    public static JsonObject Golden(string number)
    {
        var file = Directory.GetFiles(Path("k8s-golden"), number + "-*.json").Single();
        return JsonNode.Parse(File.ReadAllText(file))!.AsObject();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(System.IO.Path.Combine(dir.FullName, "tests", "testdata", "k8s-golden")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find tests/testdata/k8s-golden above " + AppContext.BaseDirectory);
    }
}
