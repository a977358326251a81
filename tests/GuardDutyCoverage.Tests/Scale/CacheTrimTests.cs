using System.Text.Json;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using GuardDutyCoverage.Runtime;
using k8s;
using k8s.Models;
using CatalogCases = GuardDutyCoverage.Tests.Diagnosis.CatalogRowTests;
using DiagnosisSnapshots = GuardDutyCoverage.Tests.Diagnosis.SnapshotBuilder;

namespace GuardDutyCoverage.Tests.Scale;

/// <summary>
/// The caches keep what the checks read (issue 11): every catalog case and every support bundle is diagnosed from its
/// objects as the server sends them and as the operator's caches keep them (<see cref="CacheTransforms.For"/>, the
/// transform each informer applies); the reports must be identical. A transform that drops a field a check reads
/// makes the check blind, and the diagnosis differs here.
/// </summary>
public sealed class CacheTrimTests
{
    private static readonly DateTimeOffset Now = DiagnosisSnapshots.Now;

    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        foreach (var input in InputNames())
        {
            data.Add(input);
        }

        return data;
    }

    private static List<string> InputNames() =>
    [
        "healthy",
        .. CatalogCases.Cases.Keys.Select(c => $"case:{c.Reason}/{c.Source}"),
        .. Directory.GetDirectories(RepoPaths.TestData("bundles")).Select(d => "bundle:" + Path.GetFileName(d)).Order(StringComparer.Ordinal),
    ];

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task TheDiagnosisFromTheCachesIsTheDiagnosisFromTheServersObjects(string input)
    {
        var (snapshot, options) = await LoadAsync(input);
        if (snapshot is null)
        {
            // A bundle that cannot be diagnosed (malformed, or several clusters without a name) says so either way.
            Assert.StartsWith("bundle:", input, StringComparison.Ordinal);
            return;
        }

        var full = ReportWriter.Json(DiagnosisEngine.Diagnose(Copy(snapshot, trim: null), options));
        var cached = ReportWriter.Json(DiagnosisEngine.Diagnose(Copy(snapshot, trim: CacheTransforms.For), options));

        Assert.Equal(full, cached);
    }

    [Fact]
    public async Task TheInputsCarryWhatTheCachesDropAndTheTrimDropsIt()
    {
        // The comparison above is worth something only if the inputs hold fields the caches drop: managedFields on
        // pods and bindings, images and addresses on nodes, environments and volumes on pods.
        long before = 0, after = 0;
        var diagnosed = 0;
        foreach (var input in InputNames())
        {
            var (snapshot, _) = await LoadAsync(input);
            if (snapshot is null)
            {
                continue;
            }

            diagnosed++;
            before += Size(Copy(snapshot, trim: null));
            after += Size(Copy(snapshot, trim: CacheTransforms.For));
        }

        Assert.True(diagnosed > CatalogCases.Cases.Count, $"only {diagnosed} inputs diagnosed");
        Assert.True(after < before, $"the caches' copy ({after} bytes) is not smaller than the servers' ({before} bytes)");
    }

    [Fact]
    public void ATransformThatDropsWhatACheckReadsChangesTheDiagnosis()
    {
        // The test's own power: without the pods' container statuses the crash loop is not seen.
        var builder = new DiagnosisSnapshots();
        CatalogCases.Cases[(ReasonCodes.AgentPodsCrashLooping, FindingSource.Local)](builder);
        var snapshot = builder.Build();

        static Action<IKubernetesObject<V1ObjectMeta>>? Blind(string kind) => kind == "Pod"
            ? obj => ((V1Pod)obj).Status.ContainerStatuses = null
            : CacheTransforms.For(kind);

        var full = DiagnosisEngine.Diagnose(Copy(snapshot, trim: null));
        var blind = DiagnosisEngine.Diagnose(Copy(snapshot, trim: Blind));

        Assert.Contains(full.Findings, f => f.Reason == ReasonCodes.AgentPodsCrashLooping);
        Assert.DoesNotContain(blind.Findings, f => f.Reason == ReasonCodes.AgentPodsCrashLooping);
        Assert.NotEqual(ReportWriter.Json(full), ReportWriter.Json(blind));
    }

    [Fact]
    public void ManagedFieldsStayOnlyWhereAChecksReadsThem()
    {
        Assert.Null(CacheTransforms.For("DaemonSet"));
        Assert.Null(CacheTransforms.For("Namespace"));
        var managed = () => new V1ObjectMeta { Name = "x", ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl" }] };
        var objects = new List<(string Kind, IKubernetesObject<V1ObjectMeta> Object)>
        {
            ("Pod", new V1Pod { Metadata = managed() }),
            ("Node", new V1Node { Metadata = managed() }),
        };
        foreach (var kind in new[] { "ClusterRoleBinding", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "PriorityClass", "GuardDutyCoverage", "Event", "ResourceQuota", "LimitRange", "NetworkPolicy" })
        {
            objects.Add((kind, new V1ClusterRoleBinding { Metadata = managed() }));
        }

        foreach (var (kind, obj) in objects)
        {
            var transform = CacheTransforms.For(kind);
            Assert.NotNull(transform);
            transform(obj);
            Assert.True(obj.Metadata.ManagedFields is null or { Count: 0 }, kind);
        }
    }

    [Fact]
    public void APodKeepsExactlyWhatTheChecksRead()
    {
        var pod = FullPod(7);
        CacheTransforms.For("Pod")!(pod);

        var expected = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"2026-11-26T08:00:00.000000Z","labels":{"name":"aws-guardduty-agent","controller-revision-hash":"6d9f8b7c5d","pod-template-generation":"1"},"name":"aws-guardduty-agent-7","namespace":"amazon-guardduty","ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":true,"controller":true,"kind":"DaemonSet","name":"aws-guardduty-agent","uid":"0d6b3f4e"}],"resourceVersion":"107","uid":"uid-7"},"spec":{"containers":[{"image":"602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1","name":"aws-guardduty-agent","resources":{"limits":{"memory":"1Gi"}},"securityContext":{"privileged":true}}],"nodeName":"node-7","priorityClassName":"aws-guardduty-agent.priorityclass"},"status":{"conditions":[{"lastTransitionTime":"2026-11-26T08:00:05.000000Z","status":"True","type":"Ready"},{"lastTransitionTime":"2026-11-26T08:00:00.000000Z","message":"0/3 nodes are available","reason":"Unschedulable","status":"False","type":"PodScheduled"}],"containerStatuses":[{"lastState":{"terminated":{"exitCode":137,"finishedAt":"2026-11-26T07:59:00.000000Z","message":"killed","reason":"OOMKilled"}},"name":"aws-guardduty-agent","ready":true,"restartCount":3,"state":{"running":{"startedAt":"2026-11-26T08:00:04.000000Z"}}}],"initContainerStatuses":[{"name":"init","ready":false,"restartCount":0,"state":{"waiting":{"message":"back-off","reason":"CrashLoopBackOff"}}}],"phase":"Running"}}
            """;
        Assert.Equal(expected.Trim(), JsonSerializer.Serialize(pod, KubeJson.TypeInfo<V1Pod>()));
    }

    [Fact]
    public void ThePodConditionsKeptAreTheOnesTheChecksRead()
    {
        // Every condition type the operator's code asks a pod for (KubeObjects.Condition(pod, "Type")), found in the
        // source, is kept by the cache; the cache keeps no other.
        var read = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in RepoPaths.OperatorSources())
        {
            foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file), @"KubeObjects\.Condition\([^,()]+,\s*""([A-Za-z]+)""\)"))
            {
                read.Add(match.Groups[1].Value);
            }
        }

        Assert.Equal(new[] { "PodScheduled", "Ready" }, read);
        Assert.Equal(read, new SortedSet<string>(CacheTransforms.PodConditionTypesRead, StringComparer.Ordinal));
    }

    [Fact]
    public void AnUnscheduledPodKeepsTheNodeAffinityNodeOfReads()
    {
        var pod = FullPod(3);
        pod.Spec.NodeName = null;
        CacheTransforms.For("Pod")!(pod);

        Assert.Equal("node-3", NodeChecks.NodeOf(pod));
        Assert.Null(pod.Spec.Affinity.PodAntiAffinity);
    }

    [Fact]
    public void PodsOfOneInformerShareTheirRepeatedPartsAndInformersShareNothing()
    {
        var transform = CacheTransforms.For("Pod")!;
        var (a, b) = (FullPod(1), FullPod(2));
        transform(a);
        transform(b);

        Assert.Same(a.Metadata.Labels, b.Metadata.Labels);
        Assert.Same(a.Metadata.OwnerReferences, b.Metadata.OwnerReferences);
        Assert.Same(a.Metadata.NamespaceProperty, b.Metadata.NamespaceProperty);
        Assert.Same(a.Spec.Containers[0].Image, b.Spec.Containers[0].Image);
        Assert.Same(a.Spec.Containers[0].Resources, b.Spec.Containers[0].Resources);
        Assert.Same(a.Spec.Containers[0].SecurityContext, b.Spec.Containers[0].SecurityContext);
        Assert.Same(a.Status.Conditions[1].Reason, b.Status.Conditions[1].Reason);
        Assert.NotEqual(a.Metadata.Name, b.Metadata.Name);

        // A different pod template (another revision's labels, other resources) is not merged into the first.
        var c = FullPod(3);
        c.Metadata.Labels["controller-revision-hash"] = "other";
        c.Spec.Containers[0].Resources.Limits["memory"] = new ResourceQuantity("2Gi");
        transform(c);
        Assert.NotSame(a.Metadata.Labels, c.Metadata.Labels);
        Assert.Equal("other", c.Metadata.Labels["controller-revision-hash"]);
        Assert.Equal("2Gi", c.Spec.Containers[0].Resources.Limits["memory"].ToString());
        Assert.Equal("1Gi", a.Spec.Containers[0].Resources.Limits["memory"].ToString());

        // Another informer (another call of For) has a pool of its own.
        var d = FullPod(4);
        CacheTransforms.For("Pod")!(d);
        Assert.NotSame(a.Metadata.Labels, d.Metadata.Labels);
        Assert.Equal(a.Metadata.Labels, d.Metadata.Labels);
    }

    [Fact]
    public void NodesOfOneInformerShareLabelStrings()
    {
        var transform = CacheTransforms.For("Node")!;
        V1Node NodeNamed(string name) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [new string("topology.kubernetes.io/zone".AsSpan())] = new string("us-east-1a".AsSpan()) } },
            Status = new V1NodeStatus { NodeInfo = new V1NodeSystemInfo { KernelVersion = new string("6.1.0".AsSpan()) } },
        };
        var (a, b) = (NodeNamed("a"), NodeNamed("b"));
        transform(a);
        transform(b);

        Assert.Same(a.Metadata.Labels.Keys.Single(), b.Metadata.Labels.Keys.Single());
        Assert.Same(a.Metadata.Labels.Values.Single(), b.Metadata.Labels.Values.Single());
        Assert.Same(a.Status.NodeInfo.KernelVersion, b.Status.NodeInfo.KernelVersion);
    }

    [Fact]
    public void ThePoolIsBounded()
    {
        var pool = new CachePool(maxStrings: 2, maxObjects: 1);
        var first = pool.Intern(new string("one".AsSpan()));
        pool.Intern("two");
        var third = new string("three".AsSpan());

        Assert.Same(third, pool.Intern(third));
        Assert.NotSame(pool.Intern(new string("three".AsSpan())), third);
        Assert.Same(first, pool.Intern(new string("one".AsSpan())));
        Assert.Equal(2, pool.StringCount);
        var longText = new string('x', CachePool.MaxStringLength + 1);
        Assert.Same(longText, pool.Intern(longText));
        Assert.Equal(2, pool.StringCount);

        var kept = pool.Share("a", () => new List<int> { 1 });
        Assert.Same(kept, pool.Share("a", () => new List<int> { 2 }));
        Assert.NotSame(pool.Share("b", () => new List<int>()), pool.Share("b", () => new List<int>()));
        Assert.Equal(1, pool.ObjectCount);
    }

    /// <summary>An agent pod as the server sends it: every field the caches drop and every field a check reads.</summary>
    private static V1Pod FullPod(int i) => JsonSerializer.Deserialize($$"""
        {
          "apiVersion": "v1", "kind": "Pod",
          "metadata": {
            "name": "aws-guardduty-agent-{{i}}", "generateName": "aws-guardduty-agent-", "namespace": "amazon-guardduty", "uid": "uid-{{i}}",
            "resourceVersion": "{{100 + i}}", "creationTimestamp": "2026-11-26T08:00:00Z",
            "labels": { "name": "aws-guardduty-agent", "controller-revision-hash": "6d9f8b7c5d", "pod-template-generation": "1" },
            "annotations": { "kubectl.kubernetes.io/restartedAt": "2026-11-26T08:00:00Z" },
            "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "aws-guardduty-agent", "uid": "0d6b3f4e", "controller": true, "blockOwnerDeletion": true }],
            "managedFields": [{ "manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "2026-11-26T08:00:05Z", "fieldsType": "FieldsV1", "fieldsV1": { "f:status": {} } }]
          },
          "spec": {
            "nodeName": "node-{{i}}", "priorityClassName": "aws-guardduty-agent.priorityclass", "priority": 1000000, "serviceAccountName": "aws-guardduty-agent",
            "hostPID": true, "dnsPolicy": "ClusterFirst",
            "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [{ "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["node-{{i}}"] }] }] } },
                          "podAntiAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": [{ "topologyKey": "kubernetes.io/hostname" }] } },
            "initContainers": [{ "name": "init", "image": "busybox", "command": ["true"] }],
            "containers": [{
              "name": "aws-guardduty-agent", "image": "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1", "imagePullPolicy": "IfNotPresent",
              "env": [{ "name": "CLUSTER_NAME", "value": "c" }], "args": ["--x"], "ports": [{ "containerPort": 8080 }],
              "resources": { "limits": { "memory": "1Gi" } }, "securityContext": { "privileged": true },
              "livenessProbe": { "httpGet": { "path": "/healthz", "port": 8080 } }, "readinessProbe": { "exec": { "command": ["true"] } },
              "volumeMounts": [{ "name": "host-root", "mountPath": "/host" }], "terminationMessagePath": "/dev/termination-log"
            }],
            "tolerations": [{ "operator": "Exists" }],
            "volumes": [{ "name": "host-root", "hostPath": { "path": "/" } }]
          },
          "status": {
            "phase": "Running", "hostIP": "10.0.0.{{i}}", "podIP": "10.0.0.{{i}}", "podIPs": [{ "ip": "10.0.0.{{i}}" }], "qosClass": "Burstable", "startTime": "2026-11-26T08:00:01Z",
            "conditions": [
              { "type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-26T08:00:02Z" },
              { "type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-26T08:00:02Z" },
              { "type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-26T08:00:05Z" },
              { "type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-26T08:00:05Z" },
              { "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available", "lastTransitionTime": "2026-11-26T08:00:00Z" }
            ],
            "containerStatuses": [{
              "name": "aws-guardduty-agent", "image": "x", "imageID": "sha256:1", "containerID": "containerd://1", "ready": true, "started": true, "restartCount": 3,
              "state": { "running": { "startedAt": "2026-11-26T08:00:04Z" } },
              "lastState": { "terminated": { "exitCode": 137, "reason": "OOMKilled", "message": "killed", "finishedAt": "2026-11-26T07:59:00Z", "containerID": "containerd://0" } }
            }],
            "initContainerStatuses": [{ "name": "init", "image": "busybox", "imageID": "sha256:2", "ready": false, "restartCount": 0, "state": { "waiting": { "reason": "CrashLoopBackOff", "message": "back-off" } } }]
          }
        }
        """, KubeJson.TypeInfo<V1Pod>())!;

    internal static async Task<(ClusterSnapshot? Snapshot, DiagnosisOptions Options)> LoadAsync(string input)
    {
        if (input == "healthy")
        {
            return (new DiagnosisSnapshots().Build(), new DiagnosisOptions());
        }

        if (input.StartsWith("case:", StringComparison.Ordinal))
        {
            var (reason, source) = (input[5..].Split('/')[0], input[5..].Split('/')[1]);
            var builder = new DiagnosisSnapshots();
            CatalogCases.Cases[(reason, Enum.Parse<FindingSource>(source))](builder);
            return (builder.Build(), new DiagnosisOptions());
        }

        var loaded = await new BundleSnapshotSource(RepoPaths.TestData("bundles", input["bundle:".Length..])).LoadAsync(new SnapshotRequest(null, null, Now), CancellationToken.None);
        return (loaded.Snapshot, loaded.Options);
    }

    /// <summary>A deep copy of the snapshot's Kubernetes objects, each through <paramref name="trim"/> for its kind (null: as sent).</summary>
    internal static ClusterSnapshot Copy(ClusterSnapshot snapshot, Func<string, Action<IKubernetesObject<V1ObjectMeta>>?>? trim)
    {
        // One transform per kind for the whole snapshot, as one informer has one (its pool shares strings and parts
        // across the objects it caches: the diagnosis must not see the sharing).
        var transforms = new Dictionary<string, Action<IKubernetesObject<V1ObjectMeta>>?>(StringComparer.Ordinal);
        Action<IKubernetesObject<V1ObjectMeta>>? TransformOf(string kind) =>
            transforms.TryGetValue(kind, out var transform) ? transform : transforms[kind] = trim?.Invoke(kind);

        T? One<T>(T? obj, string kind)
            where T : class, IKubernetesObject<V1ObjectMeta>
        {
            if (obj is null)
            {
                return null;
            }

            var copy = JsonSerializer.Deserialize(JsonSerializer.Serialize(obj, KubeJson.TypeInfo<T>()), KubeJson.TypeInfo<T>())!;
            TransformOf(kind)?.Invoke(copy);
            return copy;
        }

        List<T>? Many<T>(IReadOnlyList<T>? objects, string kind)
            where T : class, IKubernetesObject<V1ObjectMeta> =>
            objects?.Select(o => One(o, kind)!).ToList();

        return snapshot with
        {
            AgentNamespace = One(snapshot.AgentNamespace, "Namespace"),
            AgentDaemonSet = One(snapshot.AgentDaemonSet, "DaemonSet"),
            AgentPods = Many(snapshot.AgentPods, "Pod")!,
            PriorityClass = One(snapshot.PriorityClass, "PriorityClass"),
            ClusterRoleBindings = Many(snapshot.ClusterRoleBindings, "ClusterRoleBinding")!,
            ValidatingWebhooks = Many(snapshot.ValidatingWebhooks, "ValidatingWebhookConfiguration")!,
            MutatingWebhooks = Many(snapshot.MutatingWebhooks, "MutatingWebhookConfiguration")!,
            Nodes = Many(snapshot.Nodes, "Node"),
            ResourceQuotas = Many(snapshot.ResourceQuotas, "ResourceQuota"),
            LimitRanges = Many(snapshot.LimitRanges, "LimitRange"),
            NetworkPolicies = Many(snapshot.NetworkPolicies, "NetworkPolicy"),
        };
    }

    private static long Size(ClusterSnapshot snapshot)
    {
        static long Of<T>(IEnumerable<T?> objects)
            where T : class =>
            objects.Where(o => o is not null).Sum(o => (long)JsonSerializer.Serialize(o!, KubeJson.TypeInfo<T>()).Length);

        return Of([snapshot.AgentNamespace]) + Of([snapshot.AgentDaemonSet]) + Of([snapshot.PriorityClass]) + Of(snapshot.AgentPods)
            + Of(snapshot.ClusterRoleBindings) + Of(snapshot.ValidatingWebhooks) + Of(snapshot.MutatingWebhooks) + Of(snapshot.Nodes ?? [])
            + Of(snapshot.ResourceQuotas ?? []) + Of(snapshot.LimitRanges ?? []) + Of(snapshot.NetworkPolicies ?? []);
    }
}
