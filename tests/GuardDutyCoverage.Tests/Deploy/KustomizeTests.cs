using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Deploy;

public sealed class KustomizeTests
{
    public static TheoryData<string[], string[]> OptInsAndTheirChartValues => new()
    {
        { ["../components/leader-election"], ["--set", "replicaCount=2"] },
        { ["../components/admission-dry-run"], ["--set", "admissionDryRun.enabled=true"] },
        { ["../components/remediation"], ["--set", "remediation.enabled=true"] },
        {
            ["../prometheus", "../components/leader-election", "../components/admission-dry-run", "../components/remediation"],
            ["--set", "replicaCount=2", "--set", "admissionDryRun.enabled=true", "--set", "remediation.enabled=true",
             "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.prometheusRule.enabled=true"]
        },
    };

    [HelmAndKubectlFact]
    public async Task DefaultInstallsTheSameObjectsAndRbacAsTheChartDefaults()
    {
        var kustomize = await Kustomize.BuildAsync(Path.Combine(Kustomize.ConfigDir, "default"));
        var chart = await Chart.RenderAsync();

        Assert.Equal(chart.Identities(), kustomize.Identities("Namespace"));
        Assert.Equal(Chart.Namespace, Manifests.Name(kustomize.Single("Namespace")));
        AssertSameRbac(chart, kustomize);
    }

    [HelmAndKubectlTheory]
    [MemberData(nameof(OptInsAndTheirChartValues))]
    public async Task OptInsMatchTheChartsOptInValues(string[] entries, string[] chartValues)
    {
        using var scratch = new TempDirectory();
        var kustomize = await Kustomize.BuildDefaultWithAsync(scratch, entries);
        var chart = await Chart.RenderAsync(chartValues);

        Assert.Equal(chart.Identities(), kustomize.Identities("Namespace"));
        AssertSameRbac(chart, kustomize);
        Assert.Equal(chart.OperatorArgs().Order(StringComparer.Ordinal), kustomize.OperatorArgs().Order(StringComparer.Ordinal));
        var chartSpec = chart.Single("Deployment")["spec"]!;
        var kustomizeSpec = kustomize.Single("Deployment")["spec"]!;
        Assert.Equal(chartSpec["replicas"]!.GetValue<long>(), kustomizeSpec["replicas"]!.GetValue<long>());
        Assert.Equal(chartSpec["strategy"]!["type"]!.GetValue<string>(), kustomizeSpec["strategy"]!["type"]!.GetValue<string>());
        foreach (var policy in kustomize.OfKind("ValidatingAdmissionPolicy"))
        {
            Assert.Null(Manifests.Namespace(policy));
            Assert.Equal($"system:serviceaccount:{Chart.Namespace}:{Chart.ServiceAccount}", AdmissionPolicy.ServiceAccountUser(policy));
            Assert.Equal(
                chart.Single("ValidatingAdmissionPolicy")["spec"]!["validations"]!.ToJsonString(),
                policy["spec"]!["validations"]!.ToJsonString());
        }

        foreach (var kind in new[] { "PrometheusRule", "ServiceMonitor" })
        {
            if (chart.OfKind(kind).SingleOrDefault() is { } expected)
            {
                var actual = kustomize.Single(kind);
                var compared = kind == "PrometheusRule" ? "groups" : "endpoints";
                Assert.True(JsonNode.DeepEquals(expected["spec"]![compared], actual["spec"]![compared]), $"{kind} spec.{compared} differs from the chart's");
            }
        }

        var monitor = kustomize.OfKind("ServiceMonitor").SingleOrDefault();
        if (monitor is not null)
        {
            var service = kustomize.Single("Service");
            foreach (var (label, value) in monitor["spec"]!["selector"]!["matchLabels"]!.AsObject())
            {
                Assert.Equal(value!.GetValue<string>(), service["metadata"]!["labels"]![label]?.GetValue<string>());
            }

            Assert.Equal([Chart.Namespace], Manifests.Strings(monitor["spec"]!["namespaceSelector"]!["matchNames"]));
        }

        Rbac.AssertNoWildcards(kustomize);
        SecurityAssertions.AssertRestricted(kustomize);
    }

    [HelmAndKubectlFact]
    public async Task DeploymentIsTheChartsDefaultDeployment()
    {
        var kustomize = await Kustomize.BuildAsync(Path.Combine(Kustomize.ConfigDir, "default"));
        var chart = await Chart.RenderAsync();
        SecurityAssertions.AssertRestricted(kustomize);

        Assert.Equal(chart.OperatorArgs(), kustomize.OperatorArgs());
        foreach (var field in new[] { "securityContext", "livenessProbe", "readinessProbe", "ports", "resources", "volumeMounts", "env", "imagePullPolicy" })
        {
            Assert.True(
                JsonNode.DeepEquals(chart.OperatorContainer()[field], kustomize.OperatorContainer()[field]),
                $"container {field}: chart {chart.OperatorContainer()[field]?.ToJsonString()} vs kustomize {kustomize.OperatorContainer()[field]?.ToJsonString()}");
        }

        foreach (var field in new[] { "securityContext", "volumes", "nodeSelector", "serviceAccountName", "automountServiceAccountToken", "affinity" })
        {
            Assert.True(JsonNode.DeepEquals(chart.PodSpec()[field], kustomize.PodSpec()[field]), $"pod {field} differs");
        }

        Assert.Equal(chart.OperatorContainer()["image"]!.GetValue<string>(), kustomize.OperatorContainer()["image"]!.GetValue<string>());
        var namespaceLabels = kustomize.Single("Namespace")["metadata"]!["labels"]!;
        Assert.Equal("restricted", namespaceLabels["pod-security.kubernetes.io/enforce"]!.GetValue<string>());
    }

    [KubectlFact]
    public void CrdBaseIsAByteCopyOfTheGeneratedCrd()
    {
        var copy = Path.Combine(Kustomize.ConfigDir, "crd", "bases", Path.GetFileName(RepoPaths.Crd));
        Assert.True(File.ReadAllBytes(RepoPaths.Crd).AsSpan().SequenceEqual(File.ReadAllBytes(copy)), $"{copy} differs from crds/: run `make sync-crds`");
    }

    [Fact]
    public async Task SyncCrdsFindsAndRepairsStaleCopies()
    {
        using var scratch = new TempDirectory();
        foreach (var dir in new[] { "hack", "crds", "config", "charts" })
        {
            TempDirectory.Copy(Path.Combine(RepoPaths.Root, dir), Path.Combine(scratch.Path, dir));
        }

        var script = Path.Combine(scratch.Path, "hack", "sync-crds.sh");
        Assert.Equal(0, (await DeployTools.RunAsync("bash", [script, "--check"], scratch.Path)).ExitCode);

        var crd = Path.Combine(scratch.Path, "crds", Path.GetFileName(RepoPaths.Crd));
        File.WriteAllText(crd, File.ReadAllText(crd).Replace("EKS cluster name", "EKS cluster name (changed)", StringComparison.Ordinal));
        var check = await DeployTools.RunAsync("bash", [script, "--check"], scratch.Path);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("stale: config/crd/bases/", check.StandardError, StringComparison.Ordinal);
        Assert.Contains("stale: charts/guardduty-coverage-operator/templates/crds/", check.StandardError, StringComparison.Ordinal);

        (await DeployTools.RunAsync("bash", [script], scratch.Path)).Ok("sync-crds.sh");
        Assert.Equal(0, (await DeployTools.RunAsync("bash", [script, "--check"], scratch.Path)).ExitCode);
        var chartCopy = File.ReadAllText(Path.Combine(scratch.Path, "charts", "guardduty-coverage-operator", "templates", "crds", Path.GetFileName(RepoPaths.Crd)));
        Assert.Contains("EKS cluster name (changed)", chartCopy, StringComparison.Ordinal);
        Assert.StartsWith("{{- if .Values.crds.enabled }}\n", chartCopy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckedInCopiesAreCurrent()
    {
        var result = await DeployTools.RunAsync("bash", [Path.Combine(RepoPaths.Root, "hack", "sync-crds.sh"), "--check"]);
        Assert.True(result.ExitCode == 0, result.StandardError);
    }

    [KubectlFact]
    public async Task SamplesCoverEachWayOfRunningAndAreValidForTheCrd()
    {
        var samples = await Kustomize.BuildAsync(Path.Combine(Kustomize.ConfigDir, "samples"));
        var schema = CrdSchema.CheckedInSchema();
        var byName = samples.Objects.ToDictionary(Manifests.Name);
        Assert.Equal(["admission-dry-run", "auto-managed", "manual-minimum-version", "minimal", "remediation-apply"], byName.Keys.Order(StringComparer.Ordinal));
        foreach (var sample in samples.Objects)
        {
            Assert.Equal("coverage.guardduty.io/v1alpha1", sample["apiVersion"]!.GetValue<string>());
            Assert.Equal("GuardDutyCoverage", Manifests.Kind(sample));
            Assert.Null(Manifests.Namespace(sample));
            Assert.Empty(CrdSchema.Validate(schema, sample));
        }

        Assert.Equal(["clusterName"], byName["minimal"]["spec"]!.AsObject().Select(p => p.Key));
        Assert.Equal("AUTO_MANAGED", byName["auto-managed"]["spec"]!["expectedManagementType"]!.GetValue<string>());
        Assert.Equal("MANUAL", byName["manual-minimum-version"]["spec"]!["expectedManagementType"]!.GetValue<string>());
        Assert.Equal("1.8.1", byName["manual-minimum-version"]["spec"]!["agent"]!["minimumVersion"]!.GetValue<string>());
        Assert.True(byName["admission-dry-run"]["spec"]!["checks"]!["admissionDryRun"]!.GetValue<bool>());
        Assert.Equal("Apply", byName["remediation-apply"]["spec"]!["remediation"]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public void SchemaValidatorRejectsWhatTheApiServerRejects()
    {
        var schema = CrdSchema.CheckedInSchema();
        static JsonNode Cr(string spec) => JsonNode.Parse($$"""{"apiVersion":"coverage.guardduty.io/v1alpha1","kind":"GuardDutyCoverage","metadata":{"name":"x"},"spec":{{spec}}}""")!;

        Assert.Empty(CrdSchema.Validate(schema, Cr("""{"clusterName":"prod-eks-1","interval":"1h30m","agent":{"minimumVersion":"1.8.1"}}""")));
        Assert.Contains("spec: required field clusterName is missing", CrdSchema.Validate(schema, Cr("{}")));
        Assert.Contains("spec: unknown field \"clustername\"", CrdSchema.Validate(schema, Cr("""{"clusterName":"a","clustername":"a"}""")));
        Assert.Single(CrdSchema.Validate(schema, Cr("""{"clusterName":"a","interval":"30s"}""")), e => e.StartsWith("spec.interval: \"30s\" does not match", StringComparison.Ordinal));
        Assert.Single(CrdSchema.Validate(schema, Cr("""{"clusterName":"a","remediation":{"mode":"Fix"}}""")), e => e.StartsWith("spec.remediation.mode: \"Fix\" is not one of", StringComparison.Ordinal));
        Assert.Contains("spec.checks.guardDuty: expected boolean, got String", CrdSchema.Validate(schema, Cr("""{"clusterName":"a","checks":{"guardDuty":"yes"}}""")));
        Assert.Single(CrdSchema.Validate(schema, Cr("""{"clusterName":"a","accountId":111122223333}""")), e => e.StartsWith("spec.accountId: expected string", StringComparison.Ordinal));
    }

    [KubectlFact]
    public async Task BuildInstallerWritesTheDefaultInstallWithTheRequestedImage()
    {
        var make = DeployTools.Require("make", DeployTools.Make, "your package manager");
        using var scratch = new TempDirectory();
        var installer = Path.Combine(scratch.Path, "install.yaml");
        const string image = "registry.example.com:5000/security/gdc:1.2.3";
        (await DeployTools.RunAsync(make, ["--no-print-directory", "build-installer", $"INSTALLER={installer}", $"IMG={image}"])).Ok("make build-installer");

        var installed = Manifests.Parse(File.ReadAllText(installer));
        var defaults = await Kustomize.BuildAsync(Path.Combine(Kustomize.ConfigDir, "default"));
        Assert.Equal(defaults.Identities(), installed.Identities());
        Assert.Equal(image, installed.OperatorContainer()["image"]!.GetValue<string>());
        Assert.Equal("Namespace", Manifests.Kind(installed.Objects[0]));

        var bad = await DeployTools.RunAsync("bash", [Path.Combine(RepoPaths.Root, "hack", "installer-overlay.sh"), "repo@md5:abc", Path.Combine(scratch.Path, "overlay")]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("is not an image reference", bad.StandardError, StringComparison.Ordinal);
    }

    private static void AssertSameRbac(Manifests chart, Manifests kustomize)
    {
        var fromChart = Rbac.PermissionsOf(chart, Chart.Namespace, Chart.ServiceAccount);
        var fromKustomize = Rbac.PermissionsOf(kustomize, Chart.Namespace, Chart.ServiceAccount);
        Assert.NotEmpty(fromChart);
        Assert.Equal(Rbac.Lines(fromChart), Rbac.Lines(fromKustomize));
        Assert.Equal(Rbac.AggregatedPermissions(chart), Rbac.AggregatedPermissions(kustomize));
    }
}
