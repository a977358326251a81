using System.Text.Json;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
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

    private static async Task<(ClusterSnapshot? Snapshot, DiagnosisOptions Options)> LoadAsync(string input)
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
    private static ClusterSnapshot Copy(ClusterSnapshot snapshot, Func<string, Action<IKubernetesObject<V1ObjectMeta>>?>? trim)
    {
        T? One<T>(T? obj, string kind)
            where T : class, IKubernetesObject<V1ObjectMeta>
        {
            if (obj is null)
            {
                return null;
            }

            var copy = JsonSerializer.Deserialize(JsonSerializer.Serialize(obj, KubeJson.TypeInfo<T>()), KubeJson.TypeInfo<T>())!;
            trim?.Invoke(kind)?.Invoke(copy);
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
