namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>Builds the kustomize tree in <c>config/</c> with kubectl's built-in kustomize.</summary>
public static class Kustomize
{
    public static string ConfigDir => Path.Combine(RepoPaths.Root, "config");

    public static string Kubectl => DeployTools.Require("kubectl", DeployTools.Kubectl, "your package manager");

    public static async Task<Manifests> BuildAsync(string directory)
    {
        var result = await DeployTools.RunAsync(Kubectl, ["kustomize", directory]);
        return Manifests.Parse(result.Ok("kubectl kustomize " + directory));
    }

    /// <summary>
    /// Builds config/default with some of its commented-out entries switched on, exactly as a user would by
    /// uncommenting them: a copy of config/ in <paramref name="scratch"/> with those lines edited.
    /// </summary>
    public static async Task<Manifests> BuildDefaultWithAsync(TempDirectory scratch, params string[] entries)
    {
        var config = Path.Combine(scratch.Path, "config");
        TempDirectory.Copy(ConfigDir, config);
        var kustomization = Path.Combine(config, "default", "kustomization.yaml");
        var text = File.ReadAllText(kustomization);
        foreach (var entry in entries)
        {
            var commented = $"  # - {entry}\n";
            Assert.True(text.Contains(commented, StringComparison.Ordinal), $"config/default/kustomization.yaml has no line '{commented.Trim()}'");
            text = text.Replace(commented, $"  - {entry}\n", StringComparison.Ordinal);
        }

        File.WriteAllText(kustomization, text);
        return await BuildAsync(Path.Combine(config, "default"));
    }
}
