using System.Diagnostics;
using System.Text.RegularExpressions;
using KubeSandbox;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>Runs only where kubectl is on PATH (the project's machines have kubectl v1.32).</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (!Kubectl.Available)
        {
            Skip = "kubectl is not on PATH";
        }
    }
}

/// <summary>The real kubectl against the sandbox, compared with what kubectl printed against kube-apiserver (k8s-golden 69-77).</summary>
public sealed partial class KubectlTests(ITestOutputHelper output)
{
    /// <summary>The status patch of k8s-golden 71.</summary>
    internal const string ReadyPatch =
        """{"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","reason":"AgentsHealthy","message":"all 3 agents are ready","lastTransitionTime":"2026-11-26T12:00:00Z","observedGeneration":1}]}}""";

    [KubectlFact]
    public async Task Kubectl_apply_patch_get_wait_and_reapply_print_what_they_print_against_kube_apiserver()
    {
        var clock = Stopwatch.StartNew();
        await using var sandbox = await SandboxServer.StartAsync();
        using var kubectl = new Kubectl(sandbox);

        await Expect(kubectl, Recorded("69-kubectl-apply-crd"), "apply", "-f", "widget-crd.yaml");
        await Expect(kubectl, Recorded("70-kubectl-apply-widget"), "apply", "-f", "widget.yaml");
        await Expect(kubectl, Recorded("71-kubectl-patch-status"), "patch", "widget", "sample", "--subresource=status", "--type=merge", "-p", ReadyPatch);
        await Expect(kubectl, WithoutAges(Recorded("72-kubectl-get")), WithoutAges, "get", "widgets");
        await Expect(kubectl, WithoutAges(Recorded("73-kubectl-get-wide")), WithoutAges, "get", "widgets", "-o", "wide");
        await Expect(kubectl, WithoutIdentity(Recorded("74-kubectl-get-yaml")), WithoutIdentity, "get", "widget", "sample", "-o", "yaml");
        await Expect(kubectl, Recorded("75-kubectl-wait"), "wait", "--for=condition=Ready", "widget/sample", "--timeout=5s");
        await Expect(kubectl, Recorded("77-kubectl-apply-crd-again"), "apply", "-f", "widget-crd.yaml");
        output.WriteLine($"kubectl apply/apply/patch/get/get -o wide/get -o yaml/wait/apply: {clock.ElapsedMilliseconds} ms wall time");
    }

    [KubectlFact]
    public async Task Kubectl_create_short_names_delete_and_builtin_tables_work()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var kubectl = new Kubectl(sandbox);
        await Expect(kubectl, "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n", "create", "-f", "widget-crd.yaml");
        await Expect(kubectl, "widget.example.com/sample created\n", "create", "-f", "widget.yaml");
        await Expect(kubectl, "sample\n", "get", "wd", "-o", "jsonpath={.items[*].metadata.name}{\"\\n\"}");
        await Expect(kubectl, "widget.example.com \"sample\" deleted\n", "delete", "-f", "widget.yaml");
        await Expect(kubectl, "No resources found\n", s => s, "get", "widgets");
        await Expect(kubectl, "namespace/amazon-guardduty created\n", "create", "namespace", "amazon-guardduty");
        await Expect(kubectl, WithoutAges("NAME               STATUS   AGE\namazon-guardduty   Active   0s\n"), WithoutAges, "get", "namespace", "amazon-guardduty");
        await Expect(kubectl, "configmap/settings created\n", "-n", "amazon-guardduty", "create", "configmap", "settings", "--from-literal=mode=report");
        await Expect(kubectl, "report", "-n", "amazon-guardduty", "get", "configmap", "settings", "-o", "jsonpath={.data.mode}");
        await Expect(kubectl, "namespace \"amazon-guardduty\" deleted\n", "delete", "namespace", "amazon-guardduty");

        // Client-side apply of a built-in sends a strategic merge patch with directives: lists merge by key.
        var manifest = Path.Combine(Path.GetDirectoryName(kubectl.Kubeconfig)!, "ds.yaml");
        const string daemonSet = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: default}\nspec:\n  selector: {matchLabels: {name: agent}}\n  template:\n    metadata: {labels: {name: agent}}\n    spec:\n      containers:\n      - {name: agent, image: 'agent:1.0'}\n      - {name: sidecar, image: 'side:1.0'}\n";
        File.WriteAllText(manifest, daemonSet);
        await Expect(kubectl, "daemonset.apps/agent created\n", "apply", "-f", manifest);
        File.WriteAllText(manifest, daemonSet.Replace("agent:1.0", "agent:2.0", StringComparison.Ordinal));
        await Expect(kubectl, "daemonset.apps/agent configured\n", "apply", "-f", manifest);
        await Expect(kubectl, "agent:2.0 side:1.0 2", "get", "ds", "agent", "-o", "jsonpath={.spec.template.spec.containers[*].image} {.metadata.generation}");
        await Expect(kubectl, "daemonset.apps/agent unchanged\n", "apply", "-f", manifest);

        // kubectl create clusterrolebinding sends a protobuf body (typed client).
        await Expect(kubectl, "clusterrolebinding.rbac.authorization.k8s.io/eks:addon-cluster-admin created\n", "create", "clusterrolebinding", "eks:addon-cluster-admin", "--clusterrole=cluster-admin", "--user=eks:addon-manager", "--serviceaccount=kube-system:agent");
        var binding = sandbox.Cluster.Get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, "eks:addon-cluster-admin")!;
        Assert.Equal(
            System.Text.Json.Nodes.JsonNode.Parse("""{"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"eks:addon-manager"},{"kind":"ServiceAccount","name":"agent","namespace":"kube-system"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}}"""),
            new System.Text.Json.Nodes.JsonObject { ["subjects"] = binding["subjects"]!.DeepClone(), ["roleRef"] = binding["roleRef"]!.DeepClone() },
            System.Text.Json.Nodes.JsonNode.DeepEquals);
        Assert.Empty(sandbox.Cluster.List("v1", "ConfigMap", "amazon-guardduty"));
    }

    /// <summary>Denies deletes: enough to see kubectl render a Forbidden Status.</summary>
    private sealed class NoDeletes : IAuthorizer
    {
        public AuthorizationDecision Authorize(AuthorizationAttributes attributes) =>
            new(attributes.Verb != "delete", string.Empty);
    }

    [KubectlFact]
    public async Task Over_https_kubectl_sends_the_bearer_token_and_prints_forbidden_errors()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { UseHttps = true, AnonymousUser = null, Authorizer = _ => new NoDeletes() });
        Assert.Equal("https", sandbox.BaseAddress.Scheme);
        using var kubectl = new Kubectl(sandbox);
        await Expect(kubectl, "configmap/c created\n", "create", "configmap", "c", "--from-literal=a=b");
        Assert.All(sandbox.Requests, r => Assert.Equal("admin", r.User));

        var (exitCode, _, stderr) = await kubectl.RunAsync("delete", "configmap", "c");
        Assert.NotEqual(0, exitCode);
        Assert.Equal(
            "Error from server (Forbidden): configmaps \"c\" is forbidden: User \"admin\" cannot delete resource \"configmaps\" in API group \"\" in the namespace \"default\"\n",
            stderr);
    }

    private static string Recorded(string name) =>
        File.ReadAllText(RepoPaths.TestData("k8s-golden", name + ".stdout.txt"));

    private static string WithoutAges(string text) => AgeColumn().Replace(text, "<age>");

    private static string WithoutIdentity(string text) => IdentityLine().Replace(text, "$1: <server-assigned>");

    private Task Expect(Kubectl kubectl, string expected, params string[] args) => Expect(kubectl, expected, s => s, args);

    private async Task Expect(Kubectl kubectl, string expected, Func<string, string> normalize, params string[] args)
    {
        var (exitCode, stdout, stderr) = await kubectl.RunAsync(args);
        output.WriteLine($"$ kubectl {string.Join(' ', args)}\n{stdout}{stderr}");
        Assert.True(exitCode == 0, $"kubectl {string.Join(' ', args)} exited {exitCode}: {stderr}");
        Assert.Equal(expected, normalize(stdout + (stdout.Length == 0 ? stderr : string.Empty)));
    }

    [GeneratedRegex(@"\b\d+[smhdy]\s*$", RegexOptions.Multiline)]
    private static partial Regex AgeColumn();

    [GeneratedRegex(@"^(\s*(?:creationTimestamp|resourceVersion|uid)): .*$", RegexOptions.Multiline)]
    private static partial Regex IdentityLine();
}
