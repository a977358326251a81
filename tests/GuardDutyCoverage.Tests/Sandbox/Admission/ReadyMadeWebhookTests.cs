using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Admission;
using KubeSandbox.Testing;
using GuardDutyCoverage.Tests.Sandbox.Authorization;
using static GuardDutyCoverage.Tests.Sandbox.Admission.AdmissionFixtures;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

/// <summary>The Kyverno-like and Gatekeeper-like webhooks reproduce the GuardDuty catalog's real-world denials end to end.</summary>
public sealed class ReadyMadeWebhookTests : IAsyncLifetime
{
    private const string AgentImage = "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1";

    private TestWebhookServer server = null!;
    private WebhookAdmissionChain chain = null!;

    public async Task InitializeAsync()
    {
        server = await TestWebhookServer.StartAsync();
        chain = new WebhookAdmissionChain();
    }

    public async Task DisposeAsync()
    {
        await chain.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Kyverno_like_denies_the_agent_daemonset_dry_run_as_the_catalog_shows()
    {
        var cluster = new InMemoryObjectReader([GoldenFiles.ResponseBody("38"), KyvernoLike.Install(server, ["registry.example.com/*"])]);

        var outcome = await chain.AdmitAsync(AgentDryRun(AgentImage), cluster, CancellationToken.None);

        Assert.False(outcome.Allowed);
        Assert.Equal(400, outcome.StatusCode);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"validate.kyverno.svc-fail\" denied the request: policy DaemonSet/amazon-guardduty/aws-guardduty-agent for resource violation: restrict-image-registries: autogen-validate-registries: validation error: Unknown image registry. rule autogen-validate-registries failed at path /spec/template/spec/containers/0/image/","code":400}""",
            outcome.Status!.Text());
        Assert.True(Assert.Single(server.Received).Review.DryRun);
    }

    [Fact]
    public async Task Kyverno_like_allows_allowed_registries_other_kinds_and_its_own_namespace_and_can_use_kyvernos_multiline_text()
    {
        var cluster = new InMemoryObjectReader(
        [
            GoldenFiles.ResponseBody("38"),
            WebhookConfigurations.Namespace("kyverno"),
            KyvernoLike.Install(server, ["602401143452.dkr.ecr.*.amazonaws.com/*"], KyvernoMessageFormat.Multiline),
        ]);

        var allowed = await chain.AdmitAsync(AgentDryRun(AgentImage), cluster, CancellationToken.None);
        var inKyvernoNamespace = await chain.AdmitAsync(Context(DaemonSets, "CREATE", "kyverno", "x", DaemonSet("kyverno", "x", "docker.io/evil:1")), cluster, CancellationToken.None);
        var pod = await chain.AdmitAsync(Context(new ResourceInfo("", "v1", "pods", "Pod", true, "pod", [], [], true), "CREATE", "amazon-guardduty", "p", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "p", ["namespace"] = "amazon-guardduty" },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "ok", ["image"] = AgentImage }, new JsonObject { ["name"] = "bad", ["image"] = "docker.io/evil:1" }) },
        }), cluster, CancellationToken.None);

        Assert.True(allowed.Allowed);
        Assert.True(inKyvernoNamespace.Allowed);
        Assert.Equal(
            "admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\npolicy Pod/amazon-guardduty/p for resource violation: \n\nrestrict-image-registries:\n  validate-registries: 'validation error: Unknown image registry. rule validate-registries failed at path /spec/containers/1/image/'\n",
            pod.Status!["message"]!.GetValue<string>());
        Assert.Single(server.Received, r => r.Review.Kind == "Pod");
    }

    [Fact]
    public async Task Gatekeeper_like_denies_a_namespace_without_an_owner_label()
    {
        var configuration = GatekeeperLike.Install(server, GatekeeperLike.NamespacesMustHaveOwnerLabel(), GatekeeperLike.AllowedContainerRegistries(["registry.example.com/"]));
        var cluster = new InMemoryObjectReader([configuration]);
        var unlabelled = WebhookConfigurations.Namespace("amazon-guardduty");
        var owned = WebhookConfigurations.Namespace("amazon-guardduty", new Dictionary<string, string> { ["owner"] = "security" });

        var denied = await chain.AdmitAsync(Context(Namespaces, "UPDATE", null, "amazon-guardduty", unlabelled, unlabelled, dryRun: true), cluster, CancellationToken.None);
        var allowed = await chain.AdmitAsync(Context(Namespaces, "CREATE", null, "amazon-guardduty", owned, dryRun: true), cluster, CancellationToken.None);

        Assert.Equal(403, denied.StatusCode);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"validation.gatekeeper.sh\" denied the request: [all-namespace-must-have-label-owner] All namespaces must have an owner label","reason":"Forbidden","code":403}""",
            denied.Status!.Text());
        Assert.True(allowed.Allowed);
        // Both Gatekeeper webhooks see namespace requests; the namespace update carries the namespace's own name.
        Assert.Equal(["/v1/admit", "/v1/admitlabel"], server.Received.Take(2).Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.Equal("amazon-guardduty", server.Received[0].Review.Namespace);
    }

    [Fact]
    public async Task Gatekeeper_like_denies_the_agent_container_from_a_registry_that_is_not_allowed()
    {
        var cluster = new InMemoryObjectReader([GoldenFiles.ResponseBody("38"), GatekeeperLike.Install(server, GatekeeperLike.AllowedContainerRegistries(["registry.example.com/"]))]);

        var outcome = await chain.AdmitAsync(AgentDryRun(AgentImage), cluster, CancellationToken.None);

        Assert.Equal(403, outcome.StatusCode);
        Assert.Equal(
            "admission webhook \"validation.gatekeeper.sh\" denied the request: [allowed-container-registries] container <aws-guardduty-agent> has an invalid image registry",
            outcome.Status!["message"]!.GetValue<string>());
        Assert.Equal("Forbidden", outcome.Status["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Gatekeeper_like_joins_violations_and_skips_ignored_namespaces()
    {
        var cluster = new InMemoryObjectReader(
        [
            WebhookConfigurations.Namespace("amazon-guardduty"),
            WebhookConfigurations.Namespace("exempt", new Dictionary<string, string> { [GatekeeperLike.IgnoreLabel] = "true" }),
            GatekeeperLike.Install(server, GatekeeperLike.AllowedContainerRegistries(["registry.example.com/"])),
        ]);
        var twoContainers = DaemonSet("amazon-guardduty", "agent", "docker.io/a:1");
        ((JsonArray)twoContainers["spec"]!["template"]!["spec"]!["containers"]!).Add(new JsonObject { ["name"] = "sidecar", ["image"] = "quay.io/b:2" });

        var denied = await chain.AdmitAsync(Context(DaemonSets, "CREATE", "amazon-guardduty", "agent", twoContainers), cluster, CancellationToken.None);
        var exempt = await chain.AdmitAsync(Context(DaemonSets, "CREATE", "exempt", "agent", DaemonSet("exempt", "agent", "docker.io/a:1")), cluster, CancellationToken.None);

        Assert.Equal(
            "admission webhook \"validation.gatekeeper.sh\" denied the request: [allowed-container-registries] container <agent> has an invalid image registry\n[allowed-container-registries] container <sidecar> has an invalid image registry",
            denied.Status!["message"]!.GetValue<string>());
        Assert.True(exempt.Allowed);
    }

    [Fact]
    public async Task Gatekeeper_like_fails_open_when_its_server_is_down_but_the_ignore_label_check_fails_closed()
    {
        var configuration = GatekeeperLike.ValidatingWebhookConfiguration(server);
        var port = ClosedPort();
        foreach (var webhook in configuration["webhooks"]!.AsArray())
        {
            webhook!["clientConfig"]!["url"] = $"https://127.0.0.1:{port}/";
        }

        var cluster = new InMemoryObjectReader([GoldenFiles.ResponseBody("38"), configuration]);
        var daemonSet = await chain.AdmitAsync(AgentDryRun(AgentImage), cluster, CancellationToken.None);
        var ns = WebhookConfigurations.Namespace("team");
        var namespaceCreate = await chain.AdmitAsync(Context(Namespaces, "CREATE", null, "team", ns), cluster, CancellationToken.None);

        Assert.True(daemonSet.Allowed);
        Assert.Equal(500, namespaceCreate.StatusCode);
        Assert.StartsWith("Internal error occurred: failed calling webhook \"check-ignore-label.gatekeeper.sh\": failed to call webhook: Post", namespaceCreate.Status!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static AdmissionRequestContext AgentDryRun(string image)
    {
        var agent = DaemonSet("amazon-guardduty", "aws-guardduty-agent", image);
        agent["spec"]!["template"]!["spec"]!["containers"]![0]!["name"] = "aws-guardduty-agent";
        return Context(DaemonSets, "UPDATE", "amazon-guardduty", "aws-guardduty-agent", agent, agent.DeepClone().AsObject(), dryRun: true);
    }
}
