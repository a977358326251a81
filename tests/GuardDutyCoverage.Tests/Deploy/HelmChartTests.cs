using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Deploy;

public sealed class HelmChartTests
{
    private static readonly Permission[] DefaultWrites =
    [
        new("cluster", "coverage.guardduty.io", "guarddutycoverages/status", "patch", ""),
        new("cluster", "coverage.guardduty.io", "guarddutycoverages/status", "update", ""),
        new("cluster", "authorization.k8s.io", "subjectaccessreviews", "create", ""),
        new("cluster", "events.k8s.io", "events", "create", ""),
        new("cluster", "events.k8s.io", "events", "patch", ""),
    ];

    [HelmFact]
    public async Task LintStrictPassesWithDefaultAndAllFeaturesValues()
    {
        var defaults = await Chart.LintAsync();
        Assert.Contains("0 chart(s) failed", defaults.Ok("helm lint --strict"));
        var allFeatures = await Chart.LintAsync("-f", Chart.AllFeaturesValues);
        Assert.Contains("0 chart(s) failed", allFeatures.Ok("helm lint --strict -f all-features"));
    }

    [HelmFact]
    public async Task DefaultRenderInstallsExactlyTheOperatorAndItsReadAccess()
    {
        var manifests = await Chart.RenderAsync();
        Assert.Equal(
        [
            "ClusterRole/-/guardduty-coverage-operator",
            "ClusterRole/-/guardduty-coverage-operator-editor",
            "ClusterRole/-/guardduty-coverage-operator-viewer",
            "ClusterRoleBinding/-/guardduty-coverage-operator",
            "CustomResourceDefinition/-/guarddutycoverages.coverage.guardduty.io",
            "Deployment/guardduty-coverage-system/guardduty-coverage-operator",
            "Role/amazon-guardduty/guardduty-coverage-operator-agent-reader",
            "RoleBinding/amazon-guardduty/guardduty-coverage-operator-agent-reader",
            "Service/guardduty-coverage-system/guardduty-coverage-operator-metrics",
            "ServiceAccount/guardduty-coverage-system/guardduty-coverage-operator",
        ], manifests.Identities());
    }

    [HelmFact]
    public async Task DefaultRbacReadsOnlyWhatTheDiagnosisNeedsAndWritesOnlyStatusEventsAndReviews()
    {
        var permissions = Rbac.PermissionsOf(await Chart.RenderAsync(), Chart.Namespace, Chart.ServiceAccount);

        var writes = permissions.Where(p => !Rbac.ReadVerbs.Contains(p.Verb)).ToArray();
        Assert.Equal(Rbac.Lines(DefaultWrites), Rbac.Lines(writes));

        var reads = permissions.Where(p => Rbac.ReadVerbs.Contains(p.Verb)).Select(p => $"{p.Scope} {p.ApiGroup}/{p.Resource}").Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "amazon-guardduty /limitranges",
            "amazon-guardduty /pods",
            "amazon-guardduty /resourcequotas",
            "amazon-guardduty apps/daemonsets",
            "amazon-guardduty events.k8s.io/events",
            "amazon-guardduty networking.k8s.io/networkpolicies",
            "cluster /namespaces",
            "cluster /nodes",
            "cluster admissionregistration.k8s.io/mutatingwebhookconfigurations",
            "cluster admissionregistration.k8s.io/validatingwebhookconfigurations",
            "cluster coverage.guardduty.io/guarddutycoverages",
            "cluster coverage.guardduty.io/guarddutycoverages/status",
            "cluster rbac.authorization.k8s.io/clusterrolebindings",
            "cluster scheduling.k8s.io/priorityclasses",
        ], reads);
        Assert.All(permissions.Where(p => Rbac.ReadVerbs.Contains(p.Verb) && p.Resource != "guarddutycoverages/status"),
            p => Assert.Equal(3, permissions.Count(q => q.Scope == p.Scope && q.ApiGroup == p.ApiGroup && q.Resource == p.Resource && Rbac.ReadVerbs.Contains(q.Verb))));
    }

    [HelmFact]
    public async Task OptInRbacIsAbsentByDefault()
    {
        var manifests = await Chart.RenderAsync();
        var permissions = Rbac.PermissionsOf(manifests, Chart.Namespace, Chart.ServiceAccount);
        Assert.DoesNotContain(permissions, p => p.Resource is "secrets" or "leases" or "clusterroles");
        Assert.DoesNotContain(permissions, p => p.Verb is "patch" && p.Resource is "daemonsets" or "namespaces");
        Assert.DoesNotContain(permissions, p => p.Resource == "clusterrolebindings" && p.Verb != "get" && p.Verb != "list" && p.Verb != "watch");
        Assert.Empty(manifests.OfKind("ValidatingAdmissionPolicy"));
        Assert.DoesNotContain("--remediation", manifests.OperatorArgs());
        Assert.DoesNotContain("--leader-elect", manifests.OperatorArgs());
    }

    [HelmFact]
    public async Task NoRuleUsesWildcards()
    {
        foreach (var manifests in new[] { await Chart.RenderAsync(), await Chart.RenderAsync("-f", Chart.AllFeaturesValues) })
        {
            Rbac.AssertNoWildcards(manifests);
        }
    }

    [HelmFact]
    public async Task SecretsAreReadableOnlyByNameAndOnlyWhenNotificationsAreConfigured()
    {
        var defaults = await Chart.RenderAsync();
        Assert.DoesNotContain(Rbac.AllRules(defaults), r => Manifests.Strings(r.Rule["resources"]).Contains("secrets"));

        var withSecrets = await Chart.RenderAsync("--set-json", """notifications.webhookSecretNames=["slack-url","teams-url"]""");
        var secretRules = Rbac.AllRules(withSecrets).Where(r => Manifests.Strings(r.Rule["resources"]).Contains("secrets")).ToArray();
        var (role, rule) = Assert.Single(secretRules);
        Assert.Equal("Role", Manifests.Kind(role));
        Assert.Equal(Chart.Namespace, Manifests.Namespace(role));
        Assert.Equal(["get"], Manifests.Strings(rule["verbs"]));
        Assert.Equal(["slack-url", "teams-url"], Manifests.Strings(rule["resourceNames"]));
        Assert.Equal(["secrets"], Manifests.Strings(rule["resources"]));

        var secretPermissions = Rbac.PermissionsOf(withSecrets, Chart.Namespace, Chart.ServiceAccount).Where(p => p.Resource == "secrets");
        Assert.Equal(
            [$"{Chart.Namespace}: get core/secrets/slack-url", $"{Chart.Namespace}: get core/secrets/teams-url"],
            Rbac.Lines(secretPermissions));
    }

    [HelmFact]
    public async Task AdmissionDryRunGrantsPatchOnTheAgentObjectsOnly()
    {
        var baseline = Rbac.PermissionsOf(await Chart.RenderAsync(), Chart.Namespace, Chart.ServiceAccount);
        var manifests = await Chart.RenderAsync("--set", "admissionDryRun.enabled=true", "--set-json", """agentNamespaces=["amazon-guardduty","gd-canary"]""");
        var added = Rbac.PermissionsOf(manifests, Chart.Namespace, Chart.ServiceAccount)
            .Except(baseline)
            .Where(p => p.Verb != "get" && p.Verb != "list" && p.Verb != "watch");
        Assert.Equal(
        [
            "amazon-guardduty: patch apps/daemonsets/aws-guardduty-agent",
            "cluster: patch core/namespaces/amazon-guardduty",
            "cluster: patch core/namespaces/gd-canary",
            "gd-canary: patch apps/daemonsets/aws-guardduty-agent",
        ], Rbac.Lines(added));
        Assert.NotNull(manifests.Find("ClusterRole", "guardduty-coverage-operator-admission-dry-run"));
        Assert.Contains("--agent-namespaces=amazon-guardduty,gd-canary", manifests.OperatorArgs());
    }

    [HelmFact]
    public async Task RemediationAddsTheFlagItsOwnRbacAndAnAdmissionPolicyForTheServiceAccount()
    {
        var baseline = Rbac.PermissionsOf(await Chart.RenderAsync(), Chart.Namespace, Chart.ServiceAccount);
        var manifests = await Chart.RenderAsync("--set", "remediation.enabled=true");
        var added = Rbac.PermissionsOf(manifests, Chart.Namespace, Chart.ServiceAccount).Except(baseline);
        Assert.Equal(
        [
            "cluster: bind rbac.authorization.k8s.io/clusterroles/cluster-admin",
            "cluster: create rbac.authorization.k8s.io/clusterrolebindings",
            "cluster: patch core/namespaces/amazon-guardduty",
        ], Rbac.Lines(added));
        Assert.Contains("--remediation", manifests.OperatorArgs());
        Assert.NotNull(manifests.Find("ClusterRole", "guardduty-coverage-operator-remediation"));

        var policy = manifests.Single("ValidatingAdmissionPolicy");
        Assert.Equal($"system:serviceaccount:{Chart.Namespace}:{Chart.ServiceAccount}", AdmissionPolicy.ServiceAccountUser(policy));
        Assert.Contains("eks:addon-cluster-admin", policy["spec"]!["validations"]![0]!["expression"]!.GetValue<string>());
        Assert.Equal(Manifests.Name(policy), manifests.Single("ValidatingAdmissionPolicyBinding")["spec"]!["policyName"]!.GetValue<string>());

        var oldCluster = await Chart.RenderAsync("--set", "remediation.enabled=true", "--kube-version", "1.29.0");
        Assert.Empty(oldCluster.OfKind("ValidatingAdmissionPolicy"));
        Assert.NotNull(oldCluster.Find("ClusterRole", "guardduty-coverage-operator-remediation"));
    }

    [HelmFact]
    public async Task SecurityContextsAreStrictAndTmpIsTheOnlyWritablePath()
    {
        foreach (var manifests in new[] { await Chart.RenderAsync(), await Chart.RenderAsync("-f", Chart.AllFeaturesValues) })
        {
            SecurityAssertions.AssertRestricted(manifests);
        }
    }

    [HelmFact]
    public async Task TemplatedCrdIsTheGeneratedCrd()
    {
        var generated = CrdSchema.CheckedInCrd();
        var rendered = (await Chart.RenderAsync()).Single("CustomResourceDefinition");

        var renderedMetadata = rendered["metadata"]!.AsObject();
        Assert.Equal("keep", renderedMetadata["annotations"]!["helm.sh/resource-policy"]!.GetValue<string>());
        foreach (var (label, value) in generated["metadata"]!["labels"]!.AsObject())
        {
            Assert.Equal(value!.GetValue<string>(), renderedMetadata["labels"]![label]?.GetValue<string>());
        }

        Assert.True(
            JsonNode.DeepEquals(WithoutLabelsAndAnnotations(generated), WithoutLabelsAndAnnotations(rendered)),
            "the chart's CRD differs from crds/: run `make sync-crds`");

        var notKept = await Chart.RenderAsync("--set", "crds.keep=false");
        Assert.Null(notKept.Single("CustomResourceDefinition")["metadata"]!["annotations"]);
        var noCrd = await Chart.RenderAsync("--set", "crds.enabled=false");
        Assert.Empty(noCrd.OfKind("CustomResourceDefinition"));
    }

    [HelmTheory]
    [InlineData("unknownKey=1", "unknownKey")]
    [InlineData("image.tagg=1.0", "tagg")]
    [InlineData("metrics.serviceMonitor.enable=true", "enable")]
    [InlineData("remediation.enabeld=true", "enabeld")]
    public async Task ValuesSchemaRejectsUnknownKeys(string setting, string key)
    {
        var result = await Chart.TemplateAsync("--set", setting);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("additional properties", result.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(key, result.StandardError, StringComparison.Ordinal);
    }

    [HelmTheory]
    [InlineData("--set-json", "agentNamespaces=[]", "minItems")]
    [InlineData("--set", "agentNamespaces[0]=Not_A_Namespace", "agentNamespaces")]
    [InlineData("--set", "image.digest=sha1:abc", "digest")]
    [InlineData("--set", "logging.format=xml", "format")]
    [InlineData("--set", "metrics.port=0", "port")]
    public async Task ValuesSchemaRejectsInvalidValues(string flag, string setting, string mentioned)
    {
        var result = await Chart.TemplateAsync(flag, setting);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(mentioned, result.StandardError, StringComparison.Ordinal);
    }

    [HelmFact]
    public async Task ServiceMonitorWithoutMetricsIsAClearError()
    {
        var result = await Chart.TemplateAsync("--set", "metrics.enabled=false", "--set", "metrics.serviceMonitor.enabled=true");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("metrics.serviceMonitor.enabled needs metrics.enabled", result.StandardError, StringComparison.Ordinal);
    }

    [HelmFact]
    public async Task MoreThanOneReplicaSwitchesLeaderElectionOn()
    {
        var single = await Chart.RenderAsync();
        Assert.Equal("Recreate", single.Single("Deployment")["spec"]!["strategy"]!["type"]!.GetValue<string>());
        Assert.Null(single.Find("Role", "guardduty-coverage-operator-leader-election"));

        var two = await Chart.RenderAsync("--set", "replicaCount=2");
        Assert.Equal(2, two.Single("Deployment")["spec"]!["replicas"]!.GetValue<long>());
        Assert.Equal("RollingUpdate", two.Single("Deployment")["spec"]!["strategy"]!["type"]!.GetValue<string>());
        Assert.Contains("--leader-elect", two.OperatorArgs());
        Assert.Contains("--leader-election-id=guardduty-coverage-operator", two.OperatorArgs());
        var leases = Rbac.PermissionsOf(two, Chart.Namespace, Chart.ServiceAccount).Where(p => p.Resource == "leases");
        Assert.Equal(
        [
            $"{Chart.Namespace}: create coordination.k8s.io/leases",
            $"{Chart.Namespace}: get coordination.k8s.io/leases/guardduty-coverage-operator",
            $"{Chart.Namespace}: update coordination.k8s.io/leases/guardduty-coverage-operator",
        ], Rbac.Lines(leases));

        var explicitlyOn = await Chart.RenderAsync("--set", "leaderElection.enabled=true", "--set", "leaderElection.id=my-lease");
        Assert.Contains("--leader-election-id=my-lease", explicitlyOn.OperatorArgs());
        Assert.Equal("RollingUpdate", explicitlyOn.Single("Deployment")["spec"]!["strategy"]!["type"]!.GetValue<string>());
    }

    [HelmFact]
    public async Task DeploymentPassesTheOperatorItsFlagsAndEnvironment()
    {
        var manifests = await Chart.RenderAsync("--set", "aws.region=eu-central-1", "--set", "maxConcurrentReconciles=4", "--set", "metrics.enabled=false");
        Assert.Equal(
        [
            "run",
            "--health-probe-bind-address=:8081",
            "--metrics-bind-address=0",
            "--agent-namespaces=amazon-guardduty",
            "--max-concurrent-reconciles=4",
            "--cluster-view-stale-after=60s",
            "--addon-stuck-after=20m",
            "--coverage-stale-after=2h",
            "--log-level=info",
            "--log-format=json",
        ], manifests.OperatorArgs());
        var env = manifests.OperatorContainer()["env"]!.AsArray();
        Assert.Equal("eu-central-1", env.Single(e => e!["name"]!.GetValue<string>() == "AWS_REGION")!["value"]!.GetValue<string>());
        Assert.Equal("metadata.namespace", env.Single(e => e!["name"]!.GetValue<string>() == "POD_NAMESPACE")!["valueFrom"]!["fieldRef"]!["fieldPath"]!.GetValue<string>());
        Assert.Empty(manifests.OfKind("Service"));
        Assert.DoesNotContain(manifests.OperatorContainer()["ports"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "metrics");

        var probes = manifests.OperatorContainer();
        Assert.Equal("/healthz", probes["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal("/readyz", probes["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal(8081, probes["ports"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "health")!["containerPort"]!.GetValue<long>());
    }

    [HelmFact]
    public async Task TheCatalogThresholdsAreChartValues()
    {
        var manifests = await Chart.RenderAsync("--set", "addonStuckAfter=45m", "--set", "coverageStaleAfter=6h");
        Assert.Contains("--addon-stuck-after=45m", manifests.OperatorArgs());
        Assert.Contains("--coverage-stale-after=6h", manifests.OperatorArgs());
        var bad = await Chart.TemplateAsync("--set", "addonStuckAfter=soon");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("values don't meet the specifications of the schema", bad.StandardError);
    }

    [HelmFact]
    public async Task ImageDefaultsToTheAppVersionAndCanBePinnedByDigest()
    {
        var appVersion = File.ReadLines(Path.Combine(Chart.Dir, "Chart.yaml"))
            .Single(l => l.StartsWith("appVersion:", StringComparison.Ordinal))["appVersion:".Length..].Trim().Trim('"');
        var defaults = await Chart.RenderAsync();
        Assert.Equal($"ghcr.io/guardduty-coverage/guardduty-coverage-operator:{appVersion}", defaults.OperatorContainer()["image"]!.GetValue<string>());

        const string digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var pinned = await Chart.RenderAsync("--set", "image.repository=registry.example.com/gdc", "--set", "image.tag=1.2.3", "--set", "image.digest=" + digest);
        Assert.Equal($"registry.example.com/gdc:1.2.3@{digest}", pinned.OperatorContainer()["image"]!.GetValue<string>());
    }

    [HelmFact]
    public async Task AllFeaturesRenderCarriesEveryOptionalObjectAndSetting()
    {
        var manifests = await Chart.RenderAsync("-f", Chart.AllFeaturesValues);
        foreach (var kind in new[] { "ServiceMonitor", "PrometheusRule", "PodDisruptionBudget", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding" })
        {
            Assert.Single(manifests.OfKind(kind));
        }

        var serviceAccount = manifests.Single("ServiceAccount");
        Assert.Equal("arn:aws:iam::111122223333:role/guardduty-coverage-operator",
            serviceAccount["metadata"]!["annotations"]!["eks.amazonaws.com/role-arn"]!.GetValue<string>());

        var pod = manifests.PodSpec();
        Assert.Equal("system-cluster-critical", pod["priorityClassName"]!.GetValue<string>());
        Assert.Equal("regcred", pod["imagePullSecrets"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("CriticalAddonsOnly", pod["tolerations"]![0]!["key"]!.GetValue<string>());
        Assert.Equal("topology.kubernetes.io/zone", pod["topologySpreadConstraints"]![0]!["topologyKey"]!.GetValue<string>());
        Assert.NotNull(pod["affinity"]!["nodeAffinity"]);
        Assert.Contains("--leader-election-namespace=guardduty-coverage-system", manifests.OperatorArgs());
        Assert.Contains(manifests.OperatorContainer()["env"]!.AsArray(), e => e!["name"]!.GetValue<string>() == "AWS_STS_REGIONAL_ENDPOINTS");

        var monitor = manifests.Single("ServiceMonitor");
        var service = manifests.Single("Service");
        foreach (var (label, value) in monitor["spec"]!["selector"]!["matchLabels"]!.AsObject())
        {
            Assert.Equal(value!.GetValue<string>(), service["metadata"]!["labels"]![label]?.GetValue<string>());
        }

        Assert.Equal("kube-prometheus-stack", manifests.Single("PrometheusRule")["metadata"]!["labels"]!["release"]!.GetValue<string>());
        Assert.Equal(1, manifests.Single("PodDisruptionBudget")["spec"]!["maxUnavailable"]!.GetValue<long>());
        Assert.All(manifests.Objects, o => Assert.Equal("platform-security", o["metadata"]!["labels"]!["example.com/owner"]?.GetValue<string>()));
    }

    [HelmFact]
    public async Task AlertsWatchTheMetricsOfThisRelease()
    {
        var rules = (await Chart.RenderAsync("--set", "metrics.prometheusRule.enabled=true"))
            .Single("PrometheusRule")["spec"]!["groups"]![0]!["rules"]!.AsArray();
        Assert.Equal(
            [
                "GuardDutyCoverageUnhealthy", "GuardDutyCoverageStalled", "GuardDutyCoverageUnknown", "GuardDutyCoverageGuardDutyDataStale",
                "GuardDutyCoverageAgentMissing", "GuardDutyCoverageBelowThreshold", "GuardDutyCoverageRelistStorm",
                "GuardDutyCoverageReconcileErrors", "GuardDutyCoverageOperatorDown", "GuardDutyCoverageClusterViewStale",
            ],
            rules.Select(r => r!["alert"]!.GetValue<string>()));
        Assert.All(rules, r => Assert.Contains(
            $"namespace=\"{Chart.Namespace}\", job=\"guardduty-coverage-operator-metrics\"", r!["expr"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains("guardduty_coverage_state", rules[0]!["expr"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("type=\"Stalled\", status=\"True\"", rules[1]!["expr"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("informer_last_sync_age_seconds", rules[9]!["expr"]!.GetValue<string>(), StringComparison.Ordinal);
        // Prometheus, not Helm, expands these.
        Assert.Contains("{{ $labels.cluster_name }}", rules[0]!["annotations"]!["summary"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [HelmFact]
    public async Task NotesSayWhichOptInsAreOn()
    {
        var defaults = (await DeployTools.RunAsync(Chart.Helm, ["install", Chart.Release, Chart.Source, "--namespace", Chart.Namespace, "--dry-run=client"])).Ok("helm install --dry-run=client");
        var notes = defaults[defaults.IndexOf("NOTES:", StringComparison.Ordinal)..];
        Assert.Contains("remediation:              off", notes, StringComparison.Ordinal);
        Assert.Contains("AWS access: no ServiceAccount annotation is set", notes, StringComparison.Ordinal);

        var enabled = (await DeployTools.RunAsync(Chart.Helm, ["install", Chart.Release, Chart.Source, "--namespace", Chart.Namespace, "--dry-run=client", "-f", Chart.AllFeaturesValues])).Ok("helm install --dry-run=client -f all-features");
        notes = enabled[enabled.IndexOf("NOTES:", StringComparison.Ordinal)..];
        Assert.Contains("remediation:              on", notes, StringComparison.Ordinal);
        Assert.Contains("admission dry-run probes: on", notes, StringComparison.Ordinal);
        Assert.Contains("notification secrets:     guardduty-coverage-slack", notes, StringComparison.Ordinal);
        Assert.Contains("leader election:          on", notes, StringComparison.Ordinal);
        Assert.DoesNotContain("AWS access: no ServiceAccount annotation", notes, StringComparison.Ordinal);
    }

    [HelmFact]
    public async Task DefaultSchedulingAllowsLinuxNodesOfBothReleasedArchitectures()
    {
        var pod = (await Chart.RenderAsync()).PodSpec();
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse("""{"kubernetes.io/os":"linux"}"""), pod["nodeSelector"]),
            $"nodeSelector {pod["nodeSelector"]?.ToJsonString()}: an architecture there would pin one of the two");
        var architectures = RequiredArchitectures(pod);
        Assert.Equal(ReleaseInfo.Architectures, architectures);

        // A user's preference is merged into the default, which keeps the architecture rule.
        var allFeatures = (await Chart.RenderAsync("-f", Chart.AllFeaturesValues)).PodSpec();
        Assert.Equal(ReleaseInfo.Architectures, RequiredArchitectures(allFeatures));
        Assert.Equal("eks.amazonaws.com/capacityType",
            allFeatures["affinity"]!["nodeAffinity"]!["preferredDuringSchedulingIgnoredDuringExecution"]![0]!["preference"]!["matchExpressions"]![0]!["key"]!.GetValue<string>());

        // An arm64-only (Graviton) cluster can narrow it.
        var graviton = (await Chart.RenderAsync("--set-json", """affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms=[{"matchExpressions":[{"key":"kubernetes.io/arch","operator":"In","values":["arm64"]}]}]""")).PodSpec();
        Assert.Equal(["arm64"], RequiredArchitectures(graviton));
    }

    [HelmFact]
    public async Task PackagedChartRendersExactlyLikeTheChartDirectory()
    {
        using var scratch = new TempDirectory();
        (await DeployTools.RunAsync(Chart.Helm, ["package", Chart.Dir, "--destination", scratch.Path])).Ok("helm package");
        var package = Assert.Single(Directory.GetFiles(scratch.Path, "*.tgz"));
        Assert.Equal($"guardduty-coverage-operator-{ReleaseInfo.Version}.tgz", Path.GetFileName(package));

        foreach (var values in new[] { Array.Empty<string>(), ["-f", Chart.AllFeaturesValues] })
        {
            var fromDirectory = (await DeployTools.RunAsync(Chart.Helm, ["template", Chart.Release, Chart.Dir, "--namespace", Chart.Namespace, .. values])).Ok("helm template DIR");
            var fromPackage = (await DeployTools.RunAsync(Chart.Helm, ["template", Chart.Release, package, "--namespace", Chart.Namespace, .. values])).Ok("helm template TGZ");
            Assert.Equal(fromDirectory, fromPackage);
        }
    }

    private static string[] RequiredArchitectures(JsonNode pod)
    {
        var terms = pod["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"]?.AsArray()
            ?? throw new Xunit.Sdk.XunitException("the pod has no required node affinity");
        var term = Assert.Single(terms)!;
        var expression = Assert.Single(term["matchExpressions"]!.AsArray(), e => e!["key"]!.GetValue<string>() == "kubernetes.io/arch")!;
        Assert.Equal("In", expression["operator"]!.GetValue<string>());
        return Manifests.Strings(expression["values"]).ToArray();
    }

    private static JsonNode WithoutLabelsAndAnnotations(JsonObject crd)
    {
        var copy = crd.DeepClone().AsObject();
        copy["metadata"]!.AsObject().Remove("labels");
        copy["metadata"]!.AsObject().Remove("annotations");
        return copy;
    }
}
