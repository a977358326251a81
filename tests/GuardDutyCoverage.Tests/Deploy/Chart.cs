namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>Renders the Helm chart with the real helm binary.</summary>
public static class Chart
{
    /// <summary>With this release name and namespace the chart's object names equal config/default's.</summary>
    public const string Release = "guardduty-coverage-operator";
    public const string Namespace = "guardduty-coverage-system";
    public const string ServiceAccount = "guardduty-coverage-operator";

    public static string Dir => Path.Combine(RepoPaths.Root, "charts", "guardduty-coverage-operator");

    public static string AllFeaturesValues => Path.Combine(Dir, "ci", "all-features-values.yaml");

    /// <summary>
    /// What helm renders, lints and installs: the chart directory, or the packaged chart named by GDC_CHART_PACKAGE
    /// (the .tgz `make release` writes; a relative path is from the repository root), so that CI runs every chart check on the released package too.
    /// </summary>
    public static string Source =>
        Environment.GetEnvironmentVariable("GDC_CHART_PACKAGE") is { Length: > 0 } package ? Path.GetFullPath(package, RepoPaths.Root) : Dir;

    public static string Helm => DeployTools.Require("helm", DeployTools.Helm, "hack/install-tools.sh helm");

    /// <summary><c>helm template</c> with extra arguments (<c>--set</c>, <c>-f</c>, ...); the result must succeed.</summary>
    public static async Task<Manifests> RenderAsync(params string[] arguments)
    {
        var result = await TemplateAsync(arguments);
        return Manifests.Parse(result.Ok("helm template " + string.Join(' ', arguments)));
    }

    /// <summary><c>helm template</c>, which may fail.</summary>
    public static Task<ProcessResult> TemplateAsync(params string[] arguments) =>
        DeployTools.RunAsync(Helm, ["template", Release, Source, "--namespace", Namespace, .. arguments]);

    public static Task<ProcessResult> LintAsync(params string[] arguments) =>
        DeployTools.RunAsync(Helm, ["lint", "--strict", Source, .. arguments]);
}
