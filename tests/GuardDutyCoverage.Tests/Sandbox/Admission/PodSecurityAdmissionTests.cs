using GuardDutyCoverage.Sandbox.Scenarios;
using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Admission;
using KubeSandbox.Testing;
using GuardDutyCoverage.Tests.Sandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

/// <summary>Pod Security admission: the checks per level on different pod specs, and enforce vs warn vs workloads over HTTP.</summary>
public sealed class PodSecurityAdmissionTests
{
    private const string Ns = "amazon-guardduty";

    /// <summary>The GuardDuty agent's pod spec as k8s-golden 97 sent it: hostPID, SYS_PTRACE/SYS_ADMIN, a hostPath /proc.</summary>
    private static JsonObject AgentPod() => Golden.RequestBody("97");

    private static string Spec(JsonObject pod) => PodSecurityAdmission.Describe(PodSecurityAdmission.Evaluate(PodSecurityAdmission.Restricted, pod["metadata"] as JsonObject, (JsonObject)pod["spec"]!));

    private static JsonObject HardenedPod() => (JsonObject)JsonNode.Parse("""
        {"metadata":{"name":"ok"},"spec":{
          "securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
          "containers":[{"name":"c","image":"i:1","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}},
            "volumeMounts":[{"name":"cfg","mountPath":"/etc/cfg"}]}],
          "volumes":[{"name":"cfg","configMap":{"name":"cfg"}},{"name":"tmp","emptyDir":{}}]}}
        """)!;

    [Fact]
    public void Restricted_lists_every_violation_of_the_agent_pod_in_the_recorded_words_and_order()
    {
        var recorded = (string)Golden.ResponseBody("97")["message"]!;

        var detail = Spec(AgentPod());

        Assert.Equal(recorded[(recorded.IndexOf(": violates PodSecurity \"restricted:latest\": ", StringComparison.Ordinal) + 44)..], detail);
    }

    [Fact]
    public void Baseline_flags_only_the_baseline_checks_of_the_agent_pod()
    {
        var pod = AgentPod();

        var violations = PodSecurityAdmission.Evaluate(PodSecurityAdmission.Baseline, null, (JsonObject)pod["spec"]!);

        Assert.Equal(
            [
                "non-default capabilities (container \"aws-guardduty-agent\" must not include \"SYS_ADMIN\", \"SYS_PTRACE\" in securityContext.capabilities.add)",
                "host namespaces (hostPID=true)",
                "hostPath volumes (volume \"host-proc\")",
            ],
            violations.Select(v => v.ToString()));
    }

    [Fact]
    public void A_hardened_pod_passes_restricted_and_privileged_allows_anything()
    {
        Assert.Empty(PodSecurityAdmission.Evaluate(PodSecurityAdmission.Restricted, null, (JsonObject)HardenedPod()["spec"]!));
        Assert.Empty(PodSecurityAdmission.Evaluate(PodSecurityAdmission.Privileged, null, (JsonObject)AgentPod()["spec"]!));
    }

    [Fact]
    public void Host_network_privileged_containers_and_host_ports_fail_baseline()
    {
        var spec = (JsonObject)JsonNode.Parse("""
            {"hostNetwork":true,"hostIPC":true,
             "initContainers":[{"name":"init","image":"i","securityContext":{"privileged":true}}],
             "containers":[{"name":"a","image":"i","securityContext":{"privileged":true},"ports":[{"containerPort":80,"hostPort":8080}]},
                           {"name":"b","image":"i","securityContext":{"seccompProfile":{"type":"Unconfined"}}}]}
            """)!;

        var violations = PodSecurityAdmission.Evaluate(PodSecurityAdmission.Baseline, null, spec).Select(v => v.ToString()).ToList();

        Assert.Equal(
            [
                "host namespaces (hostNetwork=true, hostIPC=true)",
                "hostPort (container \"a\" uses hostPort 8080)",
                "privileged (containers \"init\", \"a\" must not set securityContext.privileged=true)",
                "seccompProfile (container \"b\" must not set securityContext.seccompProfile.type to \"Unconfined\")",
            ],
            violations);
    }

    [Fact]
    public void Restricted_names_explicit_bad_settings_and_replaces_the_baseline_seccomp_check()
    {
        var spec = (JsonObject)JsonNode.Parse("""
            {"securityContext":{"runAsNonRoot":false,"runAsUser":0,"seccompProfile":{"type":"Unconfined"}},
             "containers":[{"name":"c","image":"i","securityContext":{"allowPrivilegeEscalation":true,"capabilities":{"drop":["ALL"]}}}]}
            """)!;

        var violations = PodSecurityAdmission.Evaluate(PodSecurityAdmission.Restricted, null, spec).Select(v => v.ToString()).ToList();

        Assert.Equal(
            [
                "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false)",
                "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)",
                "runAsUser=0 (pod must not set runAsUser=0)",
                "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")",
            ],
            violations);
    }

    [Fact]
    public void Policies_come_from_namespace_labels_with_versions_and_unknown_levels_fail_closed()
    {
        var ns = ClusterObjects.Namespace(Ns, new Dictionary<string, string> { ["enforce"] = "baseline", ["enforce-version"] = "v1.24", ["warn"] = "strict" });

        Assert.Equal("baseline:v1.24", PodSecurityAdmission.PolicyFor(ns, "enforce").ToString());
        Assert.Equal("restricted:latest", PodSecurityAdmission.PolicyFor(ns, "warn").ToString());
        Assert.Equal("privileged:latest", PodSecurityAdmission.PolicyFor(ns, "audit").ToString());
        Assert.Equal("privileged:latest", PodSecurityAdmission.PolicyFor(null, "enforce").ToString());
    }

    [Fact]
    public async Task Enforce_refuses_pods_but_only_warn_reveals_a_level_on_a_daemonset()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns, new Dictionary<string, string> { ["enforce"] = "baseline" }));
        sandbox.Cluster.Upsert(PriorityClass());
        var daemonSet = Golden.RequestBody("98");

        var dryRun = await http.SendAsync(HttpMethod.Post, $"apis/apps/v1/namespaces/{Ns}/daemonsets?dryRun=All", daemonSet.ToJsonString(), "application/json");
        Assert.Equal(201, dryRun.Status);
        Assert.False(dryRun.Headers.ContainsKey("Warning"));

        var pod = await http.PostAsync($"api/v1/namespaces/{Ns}/pods", AgentPod());
        Assert.Equal(403, pod.Status);
        Assert.Equal("Forbidden", (string)pod.Object["reason"]!);
        Assert.StartsWith("pods \"aws-guardduty-agent-psa\" is forbidden: violates PodSecurity \"baseline:latest\": non-default capabilities", (string)pod.Object["message"]!, StringComparison.Ordinal);

        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns, new Dictionary<string, string> { ["enforce"] = "baseline", ["warn"] = "baseline" }));
        var warned = await http.SendAsync(HttpMethod.Post, $"apis/apps/v1/namespaces/{Ns}/daemonsets?dryRun=All", daemonSet.ToJsonString(), "application/json");
        Assert.Equal(201, warned.Status);
        Assert.StartsWith("299 - \"would violate PodSecurity \\\"baseline:latest\\\": non-default capabilities", warned.Headers["Warning"], StringComparison.Ordinal);

        // A pod that meets restricted is admitted without a warning.
        var hardened = await http.PostAsync($"api/v1/namespaces/{Ns}/pods", HardenedPod());
        Assert.Equal(201, hardened.Status);
        Assert.False(hardened.Headers.ContainsKey("Warning"));
    }

    [Fact]
    public async Task Pod_updates_that_change_only_images_are_not_checked_again()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns));
        sandbox.Cluster.Upsert(PriorityClass());
        Assert.Equal(201, (await http.PostAsync($"api/v1/namespaces/{Ns}/pods", AgentPod())).Status);
        sandbox.Cluster.Upsert(ClusterObjects.Namespace(Ns, new Dictionary<string, string> { ["enforce"] = "restricted" }));

        var imageOnly = await http.PatchAsync($"api/v1/namespaces/{Ns}/pods/aws-guardduty-agent-psa", JsonNode.Parse("""{"spec":{"containers":[{"name":"aws-guardduty-agent","image":"agent:v2"}]}}""")!, "application/strategic-merge-patch+json");
        Assert.Equal(200, imageOnly.Status);

        var labels = await http.PatchAsync($"api/v1/namespaces/{Ns}/pods/aws-guardduty-agent-psa", JsonNode.Parse("""{"metadata":{"labels":{"a":"b"}}}""")!);
        Assert.Equal(200, labels.Status);

        var deadline = await http.PatchAsync($"api/v1/namespaces/{Ns}/pods/aws-guardduty-agent-psa", JsonNode.Parse("""{"spec":{"activeDeadlineSeconds":600}}""")!);
        Assert.Equal(403, deadline.Status);
        Assert.Contains("violates PodSecurity \"restricted:latest\": host namespaces (hostPID=true)", (string)deadline.Object["message"]!, StringComparison.Ordinal);
    }

    internal static JsonObject PriorityClass() => new()
    {
        ["apiVersion"] = "scheduling.k8s.io/v1",
        ["kind"] = "PriorityClass",
        ["metadata"] = new JsonObject { ["name"] = "aws-guardduty-agent.priorityclass" },
        ["value"] = 1000000,
        ["preemptionPolicy"] = "Never",
    };
}
