using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using GuardDutyCoverage.Runtime;
using SandboxObjects = GuardDutyCoverage.Sandbox.Scenarios.ClusterObjects;
using GuardDutyCoverage.Tests.Integration;
using Microsoft.Extensions.Logging.Abstractions;
using k8s;

namespace GuardDutyCoverage.Tests.Scale;

/// <summary>
/// The real reconcile path of one GuardDutyCoverage over loaded informer caches: a sandbox API server with N agent
/// pods owned by the DaemonSet (and optionally N Nodes, one per pod, as a DaemonSet runs), webhook configurations,
/// the operator's own <see cref="Manager"/> and <see cref="ClusterView"/> listing and watching it, and a
/// <see cref="CoverageReconciler"/> wired as <see cref="OperatorHost"/> wires it (probes, AWS poller over the
/// stateful fake, status patcher, events). Shared by the reconcile-cost tests (which count work) and the in-process
/// benchmark (which times it): <see cref="Stages"/> runs the reconcile's stages one by one.
/// </summary>
public sealed class LoadedReconciler : IAsyncDisposable
{
    public const string AgentNamespace = "amazon-guardduty";
    public const string DaemonSetName = "aws-guardduty-agent";
    public const string Image = "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1";

    private readonly OperatorUnderTest _it;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<ManagerExit> _run;
    private readonly Func<int, JsonObject> _pod;

    private LoadedReconciler(OperatorUnderTest it, Manager manager, ClusterView view, Task<ManagerExit> run, Func<int, JsonObject> pod)
    {
        _it = it;
        Manager = manager;
        View = view;
        _run = run;
        _pod = pod;
        Probes = new ProbeRunner(manager.Client, manager.Time, NullLogger.Instance);
        Poller = new CoveragePoller(it.Aws, new AwsRegionResolver(name => name == "AWS_REGION" ? OperatorUnderTest.Region : null, null), manager.Time, new CoveragePollerOptions { Jitter = () => 0 });
        Metrics = new CoverageMetrics(manager.Metrics);
        Reconciler = new CoverageReconciler(
            name => view.Coverages.Cache.Get(name),
            view,
            Probes,
            Poller,
            new ServerVersionSource(manager.Client, manager.Time),
            manager.StatusPatcher,
            manager.CreateEventRecorder(OperatorHost.Name),
            new Remediator(manager.Client),
            Metrics,
            OperatorUnderTest.IntegrationDefaults,
            manager.Time,
            NullLogger.Instance)
        {
            StaleView = target => manager.InformerMonitor.Stale(view.DependenciesOf(target.AgentNamespace)),
        };
    }

    public Manager Manager { get; }

    public ClusterView View { get; }

    public ProbeRunner Probes { get; }

    public CoveragePoller Poller { get; }

    public CoverageMetrics Metrics { get; }

    public CoverageReconciler Reconciler { get; }

    public string Name => OperatorUnderTest.CoverageName;

    public int Pods { get; private init; }

    /// <summary>
    /// Starts the sandbox with <paramref name="pods"/> agent pods (made by <paramref name="pod"/>, default
    /// <see cref="Pod"/>), <paramref name="nodes"/> Nodes named as the pods' <c>spec.nodeName</c>,
    /// <paramref name="webhooks"/> ValidatingWebhookConfigurations that do not match the agent namespace and one
    /// GuardDutyCoverage; waits until every informer has synced and the CR is Ready (first reconcile, probes, AWS poll).
    /// </summary>
    public static async Task<LoadedReconciler> StartAsync(int pods, int nodes, int webhooks = 200, Func<int, JsonObject>? pod = null)
    {
        pod ??= Pod;
        var it = await OperatorUnderTest.StartAsync(seedFiles: ["demo/00-cluster.yaml"], startOperator: false);
        var cluster = it.Sandbox.Cluster;
        cluster.Upsert(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = AgentNamespace } });
        cluster.Upsert(DaemonSet(pods));
        for (var i = 0; i < pods; i++)
        {
            cluster.Upsert(pod(i));
        }

        for (var i = 0; i < Math.Min(nodes, pods); i++)
        {
            cluster.Upsert(SandboxObjects.Node(NodeName(i), instanceId: $"i-{i:x17}", zone: "us-east-1a"));
        }

        for (var i = 0; i < webhooks; i++)
        {
            cluster.Upsert(Webhook(i));
        }

        it.ApplyCoverage();

        var manager = new Manager(KubernetesClientConfiguration.BuildConfigFromConfigFile(it.KubeconfigPath));
        var view = ClusterView.Register(manager, [AgentNamespace]);
        var self = new LoadedReconciler(it, manager, view, Task.Run(() => manager.RunAsync(CancellationToken.None)), pod) { Pods = pods };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        foreach (var informer in manager.Informers)
        {
            await informer.WaitForSyncAsync(timeout.Token);
        }

        // Until Ready: the first reconciles start the probes (in the background) and register the AWS interest.
        for (var attempt = 0; ; attempt++)
        {
            var result = await self.ReconcileAsync();
            await self.Poller.PollDueAsync(timeout.Token);
            if (self.Coverage()?.Status?.Conditions?.Find(ConditionTypes.Ready)?.Status == ConditionStatus.True && !self.Probes.Refreshing(self.Name))
            {
                break;
            }

            if (attempt > 600)
            {
                throw new InvalidOperationException($"not Ready after {attempt} reconciles (last {result}): {System.Text.Json.JsonSerializer.Serialize(self.Coverage()?.Status, ApiJsonContext.Default.GuardDutyCoverageStatus)}");
            }

            await Task.Delay(20, timeout.Token);
        }

        // One more: the status written is now the one compared against (a no-op from here on).
        await self.ReconcileAsync();
        return self;
    }

    public Task<ReconcileResult> ReconcileAsync() => Reconciler.ReconcileAsync(Name, _stop.Token);

    /// <summary>The CR as the sandbox holds it.</summary>
    public V1Alpha1GuardDutyCoverage? Coverage() =>
        _it.Sandbox.Cluster.Get(V1Alpha1GuardDutyCoverage.Group + "/" + V1Alpha1GuardDutyCoverage.Version, "GuardDutyCoverage", null, Name)?
            .Deserialize(ApiJsonContext.Default.V1Alpha1GuardDutyCoverage);

    /// <summary>Status writes the sandbox has received for the CR.</summary>
    public int StatusWrites => _it.Sandbox.Requests.Count(r => r.Resource == "guarddutycoverages" && r.Subresource == "status" && r.Verb is "patch" or "update");

    /// <summary>Requests other than watches the sandbox has received.</summary>
    public int Requests => _it.Sandbox.Requests.Count(r => r.Verb != "watch");

    /// <summary>
    /// Changes agent pod <paramref name="i"/> in a way no check reads (an annotation, as the scale harness does) and
    /// waits until the informer has it: the next reconcile sees a new cache generation with nothing to report.
    /// </summary>
    public async Task TouchPodAsync(int i, int round)
    {
        var pod = _pod(i);
        ((JsonObject)pod["metadata"]!)["annotations"] = new JsonObject { ["bench/touch"] = round.ToString(CultureInfo.InvariantCulture) };
        var before = View.Pods(AgentNamespace)!.Cache.Generation;
        _it.Sandbox.Cluster.Upsert(pod);
        var deadline = Stopwatch.StartNew();
        while (View.Pods(AgentNamespace)!.Cache.Generation == before)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("the pod informer never delivered the touched pod");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>
    /// The stages of one reconcile of the CR, as <see cref="CoverageReconciler.ReconcileAsync"/> runs them, each timed;
    /// the diagnosis is also split per check. Nothing is written (the status patch is only computed).
    /// </summary>
    public async Task<IReadOnlyList<(string Stage, TimeSpan Elapsed)>> Stages()
    {
        var stages = new List<(string, TimeSpan)>();
        var clock = Stopwatch.StartNew();
        T Time<T>(string stage, Func<T> run)
        {
            clock.Restart();
            var result = run();
            stages.Add((stage, clock.Elapsed));
            return result;
        }

        var coverage = Time("get CR", () => View.Coverages.Cache.Get(Name)!);
        var options = OperatorUnderTest.IntegrationDefaults;
        var validation = Time("validate spec", () => SpecValidator.Validate(coverage.Spec, options));
        var target = DiagnosisTarget.FromSpec(coverage.Spec, options.DefaultRegion) with
        {
            AddonStuckAfter = options.AddonStuckAfter,
            CoverageStaleAfter = options.CoverageStaleAfter,
        };
        Time("stale view", () => Manager.InformerMonitor.Stale(View.DependenciesOf(target.AgentNamespace)));
        var objects = Time("ClusterView.ReadAsync", () => View.ReadAsync(target, default).GetAwaiter().GetResult());
        Time("NodeInstances.Of", () => NodeInstances.Of(objects.Nodes));
        var probes = Time("probes (TryGetOrStart)", () => Probes.TryGetOrStart(Name, target, objects, validation.Interval, default))
            ?? throw new InvalidOperationException("the probes are being refreshed");
        var aws = Time("AWS snapshot", () => Poller.Snapshot(Name)?.ToDiagnosis());
        var snapshot = Time("SnapshotBuilder.Build", () => GuardDutyCoverage.Controller.SnapshotBuilder.Build(target, objects, probes, aws, "v1.32.0", DiagnosisMemory.None with { LocalHealthySince = DateTimeOffset.UtcNow }, DateTimeOffset.UtcNow));

        // The diagnosis, check by check (as DiagnosisEngine.Diagnose runs them), then the whole engine.
        var context = Time("DiagnosisContext", () => new DiagnosisContext(snapshot));
        foreach (var check in ConditionChecks.All)
        {
            if (check is AgentReadyCheck)
            {
                // The agent check in its three parts (pods' exits, the DaemonSet's pods, the nodes).
                Time("  check AgentReady: NodeChecks.ExplainPodFailures", () =>
                {
                    NodeChecks.ExplainPodFailures(context);
                    return 0;
                });
                Time("  check AgentReady: AgentChecks.Run", () =>
                {
                    AgentChecks.Run(context);
                    return 0;
                });
                Time("  check AgentReady: NodeChecks.Run", () =>
                {
                    NodeChecks.Run(context);
                    return 0;
                });
                continue;
            }

            Time("  check " + check.Condition.Type, () =>
            {
                check.Run(context);
                return 0;
            });
        }

        var report = Time("DiagnosisEngine.Diagnose (whole)", () => DiagnosisEngine.Diagnose(snapshot));
        var status = Time("StatusComposer.FromReport", () => StatusComposer.FromReport(report, coverage.Status, coverage.Metadata.Generation ?? 0, DateTimeOffset.UtcNow));
        Time("StatusPatcher.ComputePatch", () => StatusPatcher.ComputePatch(coverage, coverage.Status, status, ApiJsonContext.Default.GuardDutyCoverageStatus));
        Time("metrics.Record", () =>
        {
            Metrics.Record(Name, coverage.Spec.ClusterName, status);
            return 0;
        });
        await Task.CompletedTask;
        return stages;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Manager.DisposeAsync();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }

        await _it.DisposeAsync();
        _stop.Dispose();
    }

    public static string NodeName(int i) => $"ip-10-{i / 62500 % 256}-{i / 250 % 250}-{i % 250 + 1}.ec2.internal";

    /// <summary>A running, Ready agent pod owned by the DaemonSet on node <see cref="NodeName"/>(i).</summary>
    public static JsonObject Pod(int i) => JsonNode.Parse($$"""
        {
          "apiVersion": "v1", "kind": "Pod",
          "metadata": {
            "name": "aws-guardduty-agent-{{i:x6}}", "namespace": "{{AgentNamespace}}", "uid": "{{new Guid(i, 0, 0, new byte[8])}}",
            "creationTimestamp": "2026-11-26T08:00:00Z",
            "labels": { "name": "aws-guardduty-agent" },
            "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "{{DaemonSetName}}", "uid": "0d6b3f4e-5b4e-4c1a-9f3e-2a1b0c9d8e7f", "controller": true }]
          },
          "spec": {
            "nodeName": "{{NodeName(i)}}",
            "priorityClassName": "aws-guardduty-agent.priorityclass",
            "containers": [{ "name": "aws-guardduty-agent", "image": "{{Image}}" }],
            "tolerations": [{ "operator": "Exists" }]
          },
          "status": {
            "phase": "Running",
            "conditions": [
              { "type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-26T08:00:00Z" },
              { "type": "Ready", "status": "True", "lastTransitionTime": "2026-11-26T08:00:05Z" }
            ],
            "containerStatuses": [{ "name": "aws-guardduty-agent", "image": "{{Image}}", "ready": true, "started": true, "restartCount": 0, "state": { "running": { "startedAt": "2026-11-26T08:00:04Z" } } }]
          }
        }
        """)!.AsObject();

    private static JsonObject DaemonSet(int pods) => JsonNode.Parse($$"""
        {
          "apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": { "name": "{{DaemonSetName}}", "namespace": "{{AgentNamespace}}", "uid": "0d6b3f4e-5b4e-4c1a-9f3e-2a1b0c9d8e7f", "generation": 1 },
          "spec": {
            "selector": { "matchLabels": { "name": "aws-guardduty-agent" } },
            "template": {
              "metadata": { "labels": { "name": "aws-guardduty-agent" } },
              "spec": { "priorityClassName": "aws-guardduty-agent.priorityclass", "tolerations": [{ "operator": "Exists" }], "containers": [{ "name": "aws-guardduty-agent", "image": "{{Image}}" }] }
            }
          },
          "status": {
            "currentNumberScheduled": {{pods}}, "desiredNumberScheduled": {{pods}}, "numberAvailable": {{pods}}, "numberMisscheduled": 0,
            "numberReady": {{pods}}, "updatedNumberScheduled": {{pods}}, "observedGeneration": 1
          }
        }
        """)!.AsObject();

    private static JsonObject Webhook(int i) => JsonNode.Parse($$"""
        {
          "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
          "metadata": { "name": "policy-{{i:D3}}" },
          "webhooks": [{
            "name": "validate-{{i:D3}}.policy.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None", "failurePolicy": "Fail", "timeoutSeconds": 10,
            "clientConfig": { "service": { "namespace": "policy-system", "name": "policy-{{i:D3}}", "path": "/validate", "port": 443 } },
            "namespaceSelector": { "matchLabels": { "policy.example.com/enforce-{{i:D3}}": "true" } },
            "rules": [{ "apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"], "scope": "Namespaced" }]
          }]
        }
        """)!.AsObject();
}
