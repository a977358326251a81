using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using KubeSandbox;
using GuardDutyCoverage.Tests.Integration;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Scale;

/// <summary>
/// Issue 11 (scale and memory) in behaviour, never in time: what the caches keep, that LIST pages are transformed as
/// they arrive, that pods are indexed, and that a no-op reconcile sends nothing. The numbers are `make bench`'s.
/// </summary>
public sealed class ScaleTests
{
    private const string AgentNamespace = "amazon-guardduty";

    [Fact]
    public async Task TheTransformRunsOnEveryListPageAndWatchEventBeforeTheCache()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        sandbox.Cluster.Upsert(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = AgentNamespace } });
        for (var i = 0; i < 7; i++)
        {
            sandbox.Cluster.Upsert(PodWithManagedFields($"agent-{i}"));
        }

        var kubeconfig = Path.Combine(Directory.CreateTempSubdirectory("gdc-scale-").FullName, "kubeconfig");
        sandbox.WriteKubeconfig(kubeconfig);
        using var kubernetes = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var seen = new List<string>();
        var informer = new Informer<V1Pod>(
            new KubeApiClient(kubernetes),
            KubeResources.Pods,
            new InformerOptions
            {
                Namespace = AgentNamespace,
                PageSize = 3,
                Transform = obj =>
                {
                    lock (seen)
                    {
                        seen.Add(obj.Metadata.Name + (obj.Metadata.ManagedFields is { Count: > 0 } ? " with managedFields" : ""));
                    }

                    CacheTransforms.DropManagedFields(obj);
                },
            });
        var delivered = new List<V1Pod>();
        informer.AddEventHandler(onAdd: p => { lock (delivered) { delivered.Add(p); } }, onUpdate: (_, p) => { lock (delivered) { delivered.Add(p); } });
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(30));

        // The first LIST (resourceVersion 0) is served whole from the watch cache, as kube-apiserver does (limit
        // ignored); every item was transformed before the cache: the server sent managedFields, the cache holds none.
        Assert.Equal(7, seen.Count);
        Assert.All(seen, s => Assert.EndsWith("with managedFields", s, StringComparison.Ordinal));
        Assert.Equal(7, informer.Cache.Count);
        Assert.All(informer.Cache.List(), p => Assert.True(p.Metadata.ManagedFields is null or { Count: 0 }));

        sandbox.Cluster.Upsert(PodWithManagedFields("agent-late"));
        await WaitUntilAsync(() => informer.Cache.Get("agent-late", AgentNamespace) is not null);
        Assert.True(informer.Cache.Get("agent-late", AgentNamespace)!.Metadata.ManagedFields is null or { Count: 0 });
        lock (delivered)
        {
            Assert.All(delivered, p => Assert.True(p.Metadata.ManagedFields is null or { Count: 0 }));
        }

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        // A paged LIST from storage: each page is transformed as it arrives.
        sandbox.ClearRequests();
        var pages = new List<int>();
        var list = await new KubeApiClient(kubernetes).ListAllAsync(
            KubeResources.Pods, AgentNamespace, new ListOptions { Limit = 3 }, p => { pages.Add(sandbox.Requests.Count(r => r.Verb == "list")); CacheTransforms.DropManagedFields(p); }, default);
        Assert.Equal(3, sandbox.Requests.Count(r => r.Verb == "list" && r.Resource == "pods"));
        Assert.Equal([1, 1, 1, 2, 2, 2, 3, 3], pages);
        Assert.All(list.Items, p => Assert.True(p.Metadata.ManagedFields is null or { Count: 0 }));
    }

    [Fact]
    public void IndexListsAreSharedUntilAnObjectOfTheirsChanges()
    {
        var cache = new InformerCache<V1Pod>();
        cache.AddIndex(ClusterView.PodsByOwner, ClusterView.OwnersOf);
        cache.Upsert(Pod("a", "DaemonSet", "agent"));
        cache.Upsert(Pod("b", "DaemonSet", "agent"));
        cache.Upsert(Pod("c", "DaemonSet", "other"));

        var first = cache.ByIndex(ClusterView.PodsByOwner, "DaemonSet/agent");
        Assert.Equal(["a", "b"], first.Select(p => p.Metadata.Name));
        Assert.Same(first, cache.ByIndex(ClusterView.PodsByOwner, "DaemonSet/agent"));
        Assert.Same(cache.List(), cache.List());

        cache.Upsert(Pod("c", "DaemonSet", "other", resourceVersion: "2"));
        Assert.Same(first, cache.ByIndex(ClusterView.PodsByOwner, "DaemonSet/agent"));

        cache.Upsert(Pod("b", "DaemonSet", "agent", resourceVersion: "2"));
        var second = cache.ByIndex(ClusterView.PodsByOwner, "DaemonSet/agent");
        Assert.NotSame(first, second);
        Assert.Equal("2", second[1].Metadata.ResourceVersion);

        cache.Remove(InformerCache<V1Pod>.KeyOf(second[0]));
        Assert.Equal(["b"], cache.ByIndex(ClusterView.PodsByOwner, "DaemonSet/agent").Select(p => p.Metadata.Name));
        Assert.Equal(["b", "c"], cache.List().Select(p => p.Metadata.Name));
    }

    [Fact]
    public async Task TheOperatorCachesPodsWithoutManagedFieldsIndexedByOwnerAndNode()
    {
        await using var it = await OperatorUnderTest.StartAsync(startOperator: false);
        it.Sandbox.Cluster.Upsert(PodWithManagedFields("stranger", owner: "other-daemonset", node: "ip-10-0-1-11.ec2.internal"));
        it.Start(new OperatorOptions());
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        var pods = await WaitForPodInformerAsync(it);
        Assert.All(pods.Cache.List(), p => Assert.True(p.Metadata.ManagedFields is null or { Count: 0 }));
        // The demo's pods carry no owner references (matched by the DaemonSet's selector); the stranger is another DaemonSet's.
        Assert.Equal(["aws-guardduty-agent-p1", "aws-guardduty-agent-p2", "aws-guardduty-agent-p3"], pods.Cache.ByIndex(ClusterView.PodsByOwner, ClusterView.NoOwner).Select(p => p.Metadata.Name));
        Assert.Empty(pods.Cache.ByIndex(ClusterView.PodsByOwner, "DaemonSet/aws-guardduty-agent"));
        Assert.Equal(["stranger"], pods.Cache.ByIndex(ClusterView.PodsByOwner, "DaemonSet/other-daemonset").Select(p => p.Metadata.Name));
        Assert.Equal(["aws-guardduty-agent-p1", "stranger"], pods.Cache.ByIndex(ClusterView.PodsByNode, "ip-10-0-1-11.ec2.internal").Select(p => p.Metadata.Name));
    }

    [Fact]
    public async Task AReconcileReadsTheDaemonSetsPodsAndOwnerlessOnesFromTheIndex()
    {
        await using var manager = new Manager(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var view = ClusterView.Register(manager, [AgentNamespace]);
        var pods = view.Pods(AgentNamespace)!;
        pods.Cache.Upsert(Pod("owned", "DaemonSet", "aws-guardduty-agent"));
        pods.Cache.Upsert(Pod("other", "DaemonSet", "someone-else"));
        pods.Cache.Upsert(Pod("job", "Job", "aws-guardduty-agent"));
        var orphan = Pod("orphan", "DaemonSet", "x");
        orphan.Metadata.OwnerReferences = null;
        pods.Cache.Upsert(orphan);

        var objects = await view.ReadAsync(DiagnosisTarget.FromSpec(new GuardDutyCoverageSpec { ClusterName = "c" }, "us-east-1"), default);

        Assert.Equal(["owned", "orphan"], objects.AgentNamespacePods.Select(p => p.Metadata.Name));
        Assert.Null(view.Pods("not-watched"));
    }

    private static double TotalReconciles(Counter counter) =>
        new[] { "success", "requeue_after", "requeue", "error" }.Sum(result => counter.Value(CoverageReconciler.ControllerName, result));

    private static async Task<Informer<V1Pod>> WaitForPodInformerAsync(OperatorUnderTest it)
    {
        Informer<V1Pod>? found = null;
        await WaitUntilAsync(() => (found = it.Manager!.Informers.OfType<Informer<V1Pod>>().FirstOrDefault(i => i.HasSynced)) is not null);
        return found!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(20);
        }
    }

    private static V1Pod Pod(string name, string ownerKind, string ownerName, string resourceVersion = "1") => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = AgentNamespace,
            ResourceVersion = resourceVersion,
            OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = ownerKind, Name = ownerName, Uid = "u-" + ownerName }],
        },
    };

    private static JsonObject PodWithManagedFields(string name, string owner = "aws-guardduty-agent", string node = "ip-10-0-1-99.ec2.internal") => JsonNode.Parse($$"""
        {
          "apiVersion": "v1", "kind": "Pod",
          "metadata": {
            "name": "{{name}}", "namespace": "{{AgentNamespace}}",
            "labels": { "name": "aws-guardduty-agent" },
            "annotations": { "example.com/note": "not read" },
            "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "{{owner}}", "uid": "84a3839b-d49a-4136-a5bb-634eae9af530", "controller": true }],
            "managedFields": [{ "manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "2026-11-26T08:00:05Z", "fieldsType": "FieldsV1", "subresource": "status",
                                "fieldsV1": { "f:status": { "f:phase": {}, "f:conditions": {} } } }]
          },
          "spec": {
            "nodeName": "{{node}}",
            "priorityClassName": "aws-guardduty-agent.priorityclass",
            "containers": [{ "name": "aws-guardduty-agent", "image": "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1", "env": [{ "name": "A", "value": "b" }] }],
            "tolerations": [{ "operator": "Exists" }],
            "volumes": [{ "name": "host-root", "hostPath": { "path": "/" } }]
          },
          "status": {
            "phase": "Running",
            "podIPs": [{ "ip": "10.0.1.99" }],
            "conditions": [
              { "type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-26T08:00:00Z" },
              { "type": "Ready", "status": "True", "lastTransitionTime": "2026-11-26T08:00:05Z" }
            ],
            "containerStatuses": [{ "name": "aws-guardduty-agent", "image": "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1",
                                    "imageID": "sha256:abc", "ready": true, "started": true, "restartCount": 0, "state": { "running": { "startedAt": "2026-11-26T08:00:04Z" } } }]
          }
        }
        """)!.AsObject();
}

/// <summary>The streaming LIST reader against the whole-document parse it replaced, on streams cut at every size.</summary>
