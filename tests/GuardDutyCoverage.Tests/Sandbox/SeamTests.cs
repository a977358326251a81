using System.Text.Json.Nodes;
using KubeSandbox;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>The server's plumbing to the modules behind the seams: what it passes them and how it renders their answers.</summary>
public sealed class SeamTests
{
    private const string DaemonSets = "apis/apps/v1/namespaces/default/daemonsets";

    /// <summary>Allows everything except one user doing one verb, with an RBAC-style reason.</summary>
    private sealed class OneDenial(string user, string verb) : IAuthorizer
    {
        public List<AuthorizationAttributes> Seen { get; } = [];

        public AuthorizationDecision Authorize(AuthorizationAttributes attributes)
        {
            lock (Seen)
            {
                Seen.Add(attributes);
            }

            return attributes.User.Name == user && attributes.Verb == verb
                ? new AuthorizationDecision(false, string.Empty)
                : new AuthorizationDecision(true, $"allowed {attributes.Verb} for {attributes.User.Name}");
        }
    }

    /// <summary>
    /// Labels everything in the mutating phase; in the validating phase denies writes in namespace "locked" the way a
    /// validating webhook does (k8s-golden 55) and records what it validated.
    /// </summary>
    private sealed class LockedNamespaceAdmission : IAdmissionChain
    {
        public List<AdmissionRequestContext> Validated { get; } = [];

        public Task<AdmissionOutcome> MutateAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken)
        {
            var mutated = request.Object is null ? null : (JsonObject)request.Object.DeepClone();
            if (mutated?["metadata"] is JsonObject metadata)
            {
                metadata["labels"] = new JsonObject { ["admitted"] = "true" };
            }

            return Task.FromResult(new AdmissionOutcome(true, mutated, 200, null));
        }

        public Task<AdmissionOutcome> ValidateAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken)
        {
            lock (Validated)
            {
                Validated.Add(request);
            }

            if (request.Namespace == "locked")
            {
                var status = JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"validate.kyverno.svc-fail\" denied the request: no","code":403}""")!.AsObject();
                return Task.FromResult(new AdmissionOutcome(false, null, 403, status));
            }

            return Task.FromResult(new AdmissionOutcome(true, null, 200, null));
        }
    }

    /// <summary>Records managers; applies strategic merge as a merge patch; apply conflicts unless forced.</summary>
    private sealed class RecordingFieldManager : IFieldManager
    {
        public List<(string Manager, string? Subresource)> Updates { get; } = [];

        public JsonObject StrategicMergePatch(JsonObject live, JsonObject patch, ResourceInfo resource)
        {
            var result = (JsonObject)live.DeepClone();
            foreach (var (key, value) in patch)
            {
                result[key] = value?.DeepClone();
            }

            return result;
        }

        public JsonArray UpdateManagedFields(JsonObject? before, JsonObject after, ResourceInfo resource, string manager, string? subresource, DateTimeOffset now)
        {
            lock (Updates)
            {
                Updates.Add((manager, subresource));
            }

            var entry = new JsonObject { ["manager"] = manager, ["operation"] = "Update", ["apiVersion"] = resource.GroupVersion };
            if (subresource is not null)
            {
                entry["subresource"] = subresource;
            }

            return new JsonArray(entry);
        }

        public ApplyOutcome Apply(JsonObject? live, JsonObject applyConfiguration, ResourceInfo resource, string manager, bool force, string? subresource, DateTimeOffset now)
        {
            if (live is not null && !force)
            {
                return new ApplyOutcome(null, [new ApplyConflict("kubectl-edit", "apps/v1", ".spec.template.spec.containers[name=\"aws-guardduty-agent\"].image")]);
            }

            var result = (JsonObject)(live ?? applyConfiguration).DeepClone();
            result["spec"] = applyConfiguration["spec"]?.DeepClone();
            return new ApplyOutcome(result, []);
        }
    }

    [Fact]
    public async Task Authorizer_denials_are_403_with_kube_apiserver_wording_and_reviews_use_the_authorizer()
    {
        var authorizer = new OneDenial("admin", "delete");
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { Authorizer = _ => authorizer });
        using var http = new SandboxHttp(sandbox);
        await http.PostAsync(DaemonSets, WriteTests.DaemonSet("agent"));

        var denied = await http.DeleteAsync($"{DaemonSets}/agent");
        Assert.Equal(403, denied.Status);
        Assert.Equal(
            "daemonsets.apps \"agent\" is forbidden: User \"admin\" cannot delete resource \"daemonsets\" in API group \"apps\" in the namespace \"default\"",
            (string)denied.Object["message"]!);
        Assert.Equal("Forbidden", (string)denied.Object["reason"]!);
        Assert.Contains(authorizer.Seen, a => a is { Verb: "create", Resource: "daemonsets", Namespace: "default", ApiGroup: "apps" });

        var review = await http.PostAsync("apis/authorization.k8s.io/v1/subjectaccessreviews", JsonNode.Parse(
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"eks:addon-manager","resourceAttributes":{"verb":"patch","group":"scheduling.k8s.io","resource":"priorityclasses","name":"x"}}}""")!);
        Assert.Equal(201, review.Status);
        Assert.Equal(JsonNode.Parse("""{"allowed":true,"reason":"allowed patch for eks:addon-manager"}"""), review.Object["status"], JsonNode.DeepEquals);
        var reviewMetadata = (JsonObject)review.Object["metadata"]!;
        Assert.True(reviewMetadata.ContainsKey("creationTimestamp") && reviewMetadata["creationTimestamp"] is null, "creationTimestamp: null, as kube-apiserver returns it");

        var self = await http.PostAsync("apis/authorization.k8s.io/v1/selfsubjectaccessreviews", JsonNode.Parse(
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"delete","group":"apps","resource":"daemonsets","namespace":"default"}}}""")!);
        Assert.Equal(JsonNode.Parse("""{"allowed":false}"""), self.Object["status"], JsonNode.DeepEquals);
    }

    [Fact]
    public async Task Admission_denials_pass_through_and_mutations_are_persisted()
    {
        var admission = new LockedNamespaceAdmission();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { Admission = _ => admission });
        sandbox.Cluster.Upsert(JsonNode.Parse("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"locked"}}""")!.AsObject());
        using var http = new SandboxHttp(sandbox);

        var denied = await http.PostAsync("apis/apps/v1/namespaces/locked/daemonsets?dryRun=All", WriteTests.DaemonSet("agent"));
        Assert.Equal(403, denied.Status);
        Assert.Equal("admission webhook \"validate.kyverno.svc-fail\" denied the request: no", (string)denied.Object["message"]!);
        Assert.Null(denied.Object["reason"]);
        var seen = Assert.Single(admission.Validated);
        Assert.True(seen.DryRun);
        Assert.Equal("true", (string)seen.Object!["metadata"]!["labels"]!["admitted"]!); // validation sees the mutated object
        Assert.Equal(("CREATE", "admin", "CreateOptions"), (seen.Operation, seen.User.Name, (string)seen.Options["kind"]!));
        Assert.Equal("locked", (string)seen.NamespaceObject!["metadata"]!["name"]!);

        var admitted = (await http.PostAsync(DaemonSets, WriteTests.DaemonSet("agent"))).Object;
        Assert.Equal("true", (string)admitted["metadata"]!["labels"]!["admitted"]!);
        Assert.Equal("true", (string)(await http.GetAsync($"{DaemonSets}/agent")).Object["metadata"]!["labels"]!["admitted"]!);

        await http.PatchAsync($"{DaemonSets}/agent", JsonNode.Parse("""{"spec":{"minReadySeconds":3}}""")!);
        var update = admission.Validated[^1];
        Assert.Equal(("UPDATE", "PatchOptions"), (update.Operation, (string)update.Options["kind"]!));
        Assert.NotNull(update.OldObject);
    }

    [Fact]
    public async Task Field_manager_gets_the_manager_from_the_query_or_user_agent_and_renders_apply_conflicts()
    {
        var fieldManager = new RecordingFieldManager();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { FieldManager = fieldManager });
        lock (fieldManager.Updates)
        {
            fieldManager.Updates.Clear(); // the aggregation controller's updates of the bootstrap ClusterRoles
        }

        using var http = new SandboxHttp(sandbox);
        await http.PostAsync(DaemonSets, WriteTests.DaemonSet("agent"), userAgent: "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07");
        await http.PatchAsync($"{DaemonSets}/agent/status", JsonNode.Parse("""{"status":{"numberReady":1}}""")!);
        await http.PatchAsync($"{DaemonSets}/agent?fieldManager=kubectl-edit", JsonNode.Parse("""{"spec":{"minReadySeconds":3}}""")!, "application/strategic-merge-patch+json");
        Assert.Equal([("kubectl", null), ("unknown", "status"), ("kubectl-edit", null)], fieldManager.Updates);
        var stored = (await http.GetAsync($"{DaemonSets}/agent")).Object;
        Assert.Equal("kubectl-edit", (string)stored["metadata"]!["managedFields"]![0]!["manager"]!);

        const string apply = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  minReadySeconds: 9\n";
        var conflict = await http.SendAsync(HttpMethod.Patch, $"{DaemonSets}/agent?fieldManager=eks", apply, "application/apply-patch+yaml");
        var recorded = JsonNode.Parse(File.ReadAllText(RepoPaths.TestData("k8s-golden", "43-daemonset-apply-eks-conflict.json")))!["response"]!["body"];
        Assert.Equal(409, conflict.Status);
        Assert.Equal(recorded, conflict.Json, JsonNode.DeepEquals);

        var forced = await http.SendAsync(HttpMethod.Patch, $"{DaemonSets}/agent?fieldManager=eks&force=true", apply, "application/apply-patch+yaml");
        Assert.Equal(200, forced.Status);
        Assert.Equal(9, (int)forced.Object["spec"]!["minReadySeconds"]!);

        var created = await http.SendAsync(HttpMethod.Patch, $"{DaemonSets}/fresh?fieldManager=eks", apply.Replace("name: agent", "name: fresh", StringComparison.Ordinal), "application/apply-patch+yaml");
        Assert.Equal(201, created.Status);
        Assert.Equal(1, (int)created.Object["metadata"]!["generation"]!);

        var noManager = await http.SendAsync(HttpMethod.Patch, $"{DaemonSets}/agent", apply, "application/apply-patch+yaml");
        Assert.Equal(422, noManager.Status);
    }
}
