using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox;

/// <summary>Loads seed files: CRDs first, then namespaces, then everything else, each group in file and document order.</summary>
public static class SeedLoader
{
    /// <exception cref="FormatException">A file is not YAML/JSON or a document is not an object (the message names the file).</exception>
    /// <exception cref="ArgumentException">A document's kind is not served (the message names the file).</exception>
    public static int LoadDirectory(SandboxCluster cluster, string directory)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var documents = new List<(string File, JsonObject Object)>();
        var files = Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            IReadOnlyList<JsonNode?> parsed;
            try
            {
                parsed = YamlJson.ParseDocuments(File.ReadAllText(file));
            }
            catch (FormatException ex)
            {
                throw new FormatException($"{file}: {ex.Message}", ex);
            }

            foreach (var document in parsed)
            {
                if (document is not JsonObject obj)
                {
                    throw new FormatException($"{file}: a document is not an object");
                }

                if (obj["items"] is JsonArray items && (JsonUtil.GetString(obj, "kind") ?? string.Empty).EndsWith("List", StringComparison.Ordinal))
                {
                    documents.AddRange(items.OfType<JsonObject>().Select(i => (file, (JsonObject)i.DeepClone())));
                }
                else
                {
                    documents.Add((file, obj));
                }
            }
        }

        static int Rank(JsonObject obj) => JsonUtil.GetString(obj, "kind") switch
        {
            "CustomResourceDefinition" => 0,
            "Namespace" => 1,
            _ => 2,
        };

        var count = 0;
        foreach (var (file, obj) in documents.OrderBy(d => Rank(d.Object)))
        {
            try
            {
                cluster.Upsert(obj);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"{file}: {ex.Message}", ex);
            }

            count++;
        }

        return count;
    }
}
