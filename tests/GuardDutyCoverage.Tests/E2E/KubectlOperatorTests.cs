using System.Text.RegularExpressions;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Tests.Integration;
using GuardDutyCoverage.Tests.Sandbox;

namespace GuardDutyCoverage.Tests.E2E;

/// <summary>
/// The real kubectl, as a user would drive it, against the sandbox with the operator running: install the CRD from
/// crds/, apply a sample from config/samples, read the printer columns, wait for Ready.
/// </summary>
public sealed partial class KubectlOperatorTests
{
    [KubectlFact]
    public async Task ApplyTheCrdAndASampleThenGetAndWaitForReady()
    {
        await using var it = await OperatorUnderTest.StartAsync(startOperator: false, installCrd: false);
        using var kubectl = new Kubectl(it.Sandbox);

        var crd = await kubectl.RunAsync("apply", "-f", RepoPaths.Crd);
        Assert.True(crd.ExitCode == 0, crd.Stderr);
        Assert.Equal("customresourcedefinition.apiextensions.k8s.io/guarddutycoverages.coverage.guardduty.io created\n", crd.Stdout);

        it.Start(new OperatorOptions { DefaultRegion = OperatorUnderTest.Region });
        var sample = await kubectl.RunAsync("apply", "-f", Path.Combine(RepoPaths.Root, "config", "samples", "coverage_v1alpha1_guarddutycoverage_minimal.yaml"));
        Assert.True(sample.ExitCode == 0, sample.Stderr);
        Assert.Equal("guarddutycoverage.coverage.guardduty.io/minimal created\n", sample.Stdout);

        var wait = await kubectl.RunAsync("wait", "--for=condition=Ready", "guarddutycoverage/minimal", "--timeout=60s");
        Assert.True(wait.ExitCode == 0, wait.Stderr + "\n" + it.Logs.Text);
        Assert.Equal("guarddutycoverage.coverage.guardduty.io/minimal condition met\n", wait.Stdout);

        var get = await kubectl.RunAsync("get", "gdc");
        Assert.True(get.ExitCode == 0, get.Stderr);
        var lines = get.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(["NAME", "CLUSTER", "READY", "REASON", "LOCAL", "GUARDDUTY", "AGENTS", "AGE"], Columns().Split(lines[0]).Where(c => c.Length > 0));
        Assert.Matches(Row("minimal", "prod-eks-1", "True", "CoverageHealthy", "Healthy", "HEALTHY", "3/3") + @"\s+\d+s$", lines[1]);

        var wide = await kubectl.RunAsync("get", "guarddutycoverages", "-o", "wide");
        Assert.True(wide.ExitCode == 0, wide.Stderr);
        var header = wide.Stdout.Split('\n')[0];
        Assert.EndsWith("AGE   MESSAGE" + header[(header.IndexOf("MESSAGE", StringComparison.Ordinal) + 7)..], header);
        Assert.Contains("LAST CHECK", header);
        Assert.Contains("3/3 agent pods available", wide.Stdout);

        // The schema rejects what it can express: kubectl shows the API server's 422.
        var bad = Path.Combine(Path.GetDirectoryName(kubectl.Kubeconfig)!, "bad.yaml");
        await File.WriteAllTextAsync(bad, "apiVersion: coverage.guardduty.io/v1alpha1\nkind: GuardDutyCoverage\nmetadata: {name: bad}\nspec: {clusterName: prod, accountId: \"123\", interval: 30s}\n");
        var rejected = await kubectl.RunAsync("apply", "-f", bad);
        Assert.NotEqual(0, rejected.ExitCode);
        Assert.Contains("spec.accountId", rejected.Stderr);
        Assert.Contains("spec.interval", rejected.Stderr);
    }

    private static string Row(params string[] cells) => "^" + string.Join(@"\s+", cells.Select(Regex.Escape));

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Columns();
}
