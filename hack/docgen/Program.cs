using GuardDutyCoverage.Diagnosis;

// Usage: docgen [repository root] [--check]
// Rewrites the generated regions of every page CatalogDocs knows; with --check writes nothing and exits 1 when a
// page is stale (what the docs staleness test asserts, for scripts).
var check = args.Contains("--check");
var root = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? Directory.GetCurrentDirectory();
var stale = 0;
foreach (var page in CatalogDocs.Pages)
{
    var path = Path.Combine(root, page);
    var current = await File.ReadAllTextAsync(path);
    var generated = CatalogDocs.Regenerate(current);
    if (generated == current)
    {
        Console.WriteLine($"{page}: up to date");
        continue;
    }

    stale++;
    if (check)
    {
        Console.Error.WriteLine($"{page}: stale (run make docs)");
        continue;
    }

    await File.WriteAllTextAsync(path, generated);
    Console.WriteLine($"{page}: regenerated");
}

return check && stale > 0 ? 1 : 0;
