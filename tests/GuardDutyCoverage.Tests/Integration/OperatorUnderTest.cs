using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Sandbox.Scenarios;
using KubeSandbox;
using KubeSandbox.Testing;
using GuardDutyCoverage.Tests.Aws;
using Microsoft.Extensions.Logging;
using k8s;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// The operator running in-process against a fresh sandbox API server, with AWS behind the hand-written stateful fake.
/// Tests change the cluster through the sandbox and wait for the status the operator writes; the operator only learns
/// of changes through its watches (its periodic re-check is minutes away).
/// </summary>
public sealed class OperatorUnderTest : IAsyncDisposable
{
    public const string Region = "us-east-1";
    public const string ClusterName = "prod-eks-1";
    public const string CoverageName = "prod-eks-1";
    public const string VpcId = "vpc-0a1b2c3d4e5f67890";
    public const string OperatorNamespace = "guardduty-coverage-system";

    private readonly CancellationTokenSource _stop = new();
    private readonly string _directory;
    private Task<int>? _run;

    private OperatorUnderTest(SandboxServer sandbox, FakeAws aws, string directory)
    {
        Sandbox = sandbox;
        Aws = aws;
        _directory = directory;
    }

    public SandboxServer Sandbox { get; }

    public FakeAws Aws { get; }

    public InMemoryLogs Logs { get; } = new();

    /// <summary>An HTTPS admission webhook server for the test, started on first use (Kyverno-/Gatekeeper-like behaviours).</summary>
    public TestWebhookServer Webhooks => _webhooks ??= TestWebhookServer.StartAsync().GetAwaiter().GetResult();

    private TestWebhookServer? _webhooks;

    public Manager? Manager { get; private set; }

    /// <summary>The operator's clock: a FakeTimeProvider lets a test move to the next GuardDuty poll without waiting.</summary>
    public TimeProvider Time { get; private init; } = TimeProvider.System;

    public string KubeconfigPath => Path.Combine(_directory, "kubeconfig");

    /// <summary>Starts the sandbox with the CRD and <paramref name="seedFiles"/> (YAML under tests/scenarios), the AWS fake, and the operator.</summary>
    /// <summary>
    /// The operator's defaults, except that unhealthy states are announced without the confirmation window: these tests
    /// assert on the diagnosis, in real time; the window is tested on a fake clock (TransitionTests).
    /// </summary>
    public static readonly OperatorOptions IntegrationDefaults = new() { UnhealthyConfirmation = TimeSpan.Zero };

    public static async Task<OperatorUnderTest> StartAsync(
        IEnumerable<string>? seedFiles = null,
        OperatorOptions? options = null,
        SandboxOptions? sandboxOptions = null,
        Action<FakeAws>? seedAws = null,
        bool startOperator = true,
        TimeProvider? time = null,
        bool installCrd = true)
    {
        var sandbox = await SandboxServer.StartAsync(sandboxOptions ?? new SandboxOptions { KubernetesVersion = EksScenario.KubernetesVersion });
        if (installCrd)
        {
            sandbox.Cluster.LoadYaml(await File.ReadAllTextAsync(RepoPaths.Crd));
        }

        foreach (var file in seedFiles ?? HealthyCluster)
        {
            sandbox.Cluster.LoadYaml(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "tests", "scenarios", file)));
        }

        var aws = new FakeAws();
        SeedHealthyAws(aws);
        seedAws?.Invoke(aws);

        var directory = Directory.CreateTempSubdirectory("gdc-it-").FullName;
        var self = new OperatorUnderTest(sandbox, aws, directory) { Time = time ?? TimeProvider.System };
        sandbox.WriteKubeconfig(self.KubeconfigPath);
        if (startOperator)
        {
            self.Start(options ?? IntegrationDefaults);
        }

        return self;
    }

    public static IReadOnlyList<string> HealthyCluster { get; } = ["demo/00-cluster.yaml", "demo/10-healthy-agent.yaml"];

    public static void SeedHealthyAws(FakeAws aws)
    {
        aws.AddDetector(Region, LocalAws.DetectorId, new GetDetectorResponse
        {
            Status = "ENABLED",
            Features =
            [
                new DetectorFeatureConfigurationResult
                {
                    Name = "RUNTIME_MONITORING",
                    Status = "ENABLED",
                    AdditionalConfiguration = [new DetectorAdditionalConfigurationResult { Name = "EKS_ADDON_MANAGEMENT", Status = "ENABLED" }],
                },
            ],
        });
        aws.PutCoverage(Region, aws.EksCoverage(LocalAws.DetectorId, ClusterName, CoverageStatusValues.Healthy));
        aws.PutCluster(Region, new EksCluster
        {
            Name = ClusterName,
            Version = EksScenario.EksVersion,
            Status = "ACTIVE",
            ResourcesVpcConfig = new VpcConfigResponse { VpcId = VpcId },
        });
        aws.PutAddon(Region, new EksAddon { AddonName = "aws-guardduty-agent", ClusterName = ClusterName, Status = "ACTIVE", AddonVersion = "v1.17.1-eksbuild.2", Health = new AddonHealth { Issues = [] } });
        aws.PutVpc(Region, new VpcDnsAttributes(VpcId, true, true));
        aws.PutVpcEndpoint(Region, new VpcEndpointInfo(
            "vpce-0123456789abcdef0", VpcId, $"com.amazonaws.{Region}.guardduty-data", "Interface", "available", true, LocalAws.AccountId,
            new Dictionary<string, string> { ["GuardDutyManaged"] = "true" }));
    }

    public void Start(OperatorOptions options) => Start(options, leaderElectionNamespace: null);

    /// <summary>Starts the operator with settings changed by <paramref name="configure"/> (e.g. real AWS clients over HTTP).</summary>
    public void Start(OperatorOptions options, Func<RunSettings, RunSettings> configure) => Start(options, leaderElectionNamespace: null, configure: configure);

    /// <summary>Starts the operator authenticated with <paramref name="token"/> (for example a ServiceAccount's, to run with exactly its RBAC).</summary>
    public void StartAs(string token, OperatorOptions options)
    {
        var path = Path.Combine(_directory, "operator-kubeconfig");
        Sandbox.WriteKubeconfig(path, token);
        Start(options, leaderElectionNamespace: null, path);
    }

    /// <summary>Starts with leader election in <paramref name="leaseNamespace"/>; the task completes with the exit code.</summary>
    public Task<int> StartWithLeaderElection(string leaseNamespace)
    {
        Start(IntegrationDefaults, leaseNamespace);
        return _run!;
    }

    private void Start(OperatorOptions options, string? leaderElectionNamespace, string? kubeconfig = null, Func<RunSettings, RunSettings>? configure = null)
    {
        var settings = new RunSettings
        {
            LeaderElect = leaderElectionNamespace is not null,
            OperatorNamespace = OperatorNamespace,
            LeaderElectionNamespace = leaderElectionNamespace,
            Kubernetes = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig ?? KubeconfigPath),
            Operator = options,
            MetricsBindAddress = "127.0.0.1:0",
            HealthProbeBindAddress = "127.0.0.1:0",
            AwsClients = Aws,
            AwsRegions = new AwsRegionResolver(name => name == "AWS_REGION" ? Region : null, null),
            Poller = new CoveragePollerOptions { Jitter = () => 0 },
            Time = Time,
        };
        settings = configure?.Invoke(settings) ?? settings;
        var started = new TaskCompletionSource<Manager>(TaskCreationOptions.RunContinuationsAsynchronously);
        _run = Task.Run(() => OperatorHost.RunAsync(settings, Logs.Factory, _stop.Token, m => started.TrySetResult(m)));
        _ = _run.ContinueWith(
            t => started.TrySetException(t.IsFaulted ? t.Exception!.InnerException! : new InvalidOperationException($"the operator exited with {t.Result} before starting:\n{Logs.Text}")),
            TaskScheduler.Default);
        Manager = started.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    /// <summary>A client of the sandbox acting as a user with kubectl would (admin).</summary>
    public KubeApiClient Api => _api ??= new KubeApiClient(new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath)));

    private KubeApiClient? _api;

    /// <summary>Creates a GuardDutyCoverage, or replaces its spec (status untouched), through the API as kubectl apply would.</summary>
    public void ApplyCoverage(string name = CoverageName, string clusterName = ClusterName, Action<JsonObject>? spec = null)
    {
        var specObject = new JsonObject
        {
            ["clusterName"] = clusterName,
            ["region"] = Region,
            ["accountId"] = LocalAws.AccountId,
            ["detectorId"] = LocalAws.DetectorId,
        };
        spec?.Invoke(specObject);
        var typed = specObject.Deserialize(ApiJsonContext.Default.GuardDutyCoverageSpec)!;
        if (Coverage(name) is null)
        {
            Api.CreateAsync(CoverageResources.Coverages, new V1Alpha1GuardDutyCoverage { Metadata = new() { Name = name }, Spec = typed }).GetAwaiter().GetResult();
        }
        else
        {
            var patch = new JsonObject { ["spec"] = JsonSerializer.SerializeToNode(typed, ApiJsonContext.Default.GuardDutyCoverageSpec) };
            Api.PatchAsync(CoverageResources.Coverages, name, null, KubePatch.Merge(patch)).GetAwaiter().GetResult();
        }
    }

    public V1Alpha1GuardDutyCoverage? Coverage(string name = CoverageName)
    {
        var node = Sandbox.Cluster.Get(V1Alpha1GuardDutyCoverage.ApiVersionValue, V1Alpha1GuardDutyCoverage.KindName, null, name);
        return node?.Deserialize(ApiJsonContext.Default.V1Alpha1GuardDutyCoverage);
    }

    /// <summary>Waits until the CR's status satisfies <paramref name="condition"/> (checked on every store change, bounded by a generous timeout).</summary>
    public async Task<GuardDutyCoverageStatus> WaitForStatusAsync(Func<GuardDutyCoverageStatus, bool> condition, string name = CoverageName, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        GuardDutyCoverageStatus? last = null;
        var seenVersion = "";
        while (true)
        {
            if (_run is { IsCompleted: true })
            {
                throw new InvalidOperationException($"the operator stopped ({(_run.IsFaulted ? _run.Exception!.InnerException : _run.Result)}).\n{Logs.Text}");
            }

            var version = Sandbox.Cluster.ResourceVersion;
            if (version != seenVersion)
            {
                seenVersion = version;
                var node = Sandbox.Cluster.Get(V1Alpha1GuardDutyCoverage.ApiVersionValue, V1Alpha1GuardDutyCoverage.KindName, null, name);
                last = node?.Deserialize(ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)?.Status;
                if (last is not null)
                {
                    // Every status the operator writes must follow the kstatus rules Flux, Argo CD and kubectl wait read.
                    Deploy.KStatus.AssertConforms(node!);
                }

                if (last is not null && condition(last))
                {
                    return last;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                var json = last is null ? "(no status)" : JsonSerializer.Serialize(last, ApiJsonContext.Default.GuardDutyCoverageStatus);
                throw new TimeoutException($"GuardDutyCoverage {name} never reached: {what ?? "the expected status"}.\nLast status: {json}\n{Diagnostics()}\nOperator log:\n{Logs.Text}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>
    /// What a timed-out wait needs to tell a stuck view from a slow one: each informer's state, each work queue's (a
    /// retry delayed on a fake clock the test does not move waits forever) and the sandbox's last requests (a watch
    /// still open shows status 0).
    /// </summary>
    private string Diagnostics()
    {
        var informers = Manager?.Informers.Select(i =>
            $"  {i.Name}: synced {i.HasSynced}, current {i.IsCurrent}, not current since {i.NotCurrentSince?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, last error {i.LastError ?? "-"}") ?? [];
        var requests = Sandbox.Requests.TakeLast(40).Select(r => $"  {r.Method} {r.Path}?{r.Query} -> {r.StatusCode}");
        var queues = Manager?.QueueStates.Select(q => "  " + q) ?? [];
        return "Informers:\n" + string.Join('\n', informers) + "\nWork queues:\n" + string.Join('\n', queues) + "\nLast sandbox requests:\n" + string.Join('\n', requests);
    }

    public Task<GuardDutyCoverageStatus> WaitForReadyAsync(string status, string name = CoverageName) =>
        WaitForStatusAsync(s => s.Conditions.Find(ConditionTypes.Ready)?.Status == status && s.ObservedGeneration == Coverage(name)?.Metadata.Generation, name, what: $"Ready={status}");

    public Task<GuardDutyCoverageStatus> WaitForFindingAsync(string reason, string name = CoverageName) =>
        WaitForStatusAsync(s => s.Findings?.Any(f => f.Reason == reason) == true, name, what: $"a {reason} finding");

    public Task<GuardDutyCoverageStatus> WaitForNoFindingAsync(string reason, string name = CoverageName) =>
        WaitForStatusAsync(s => s.Findings?.All(f => f.Reason != reason) != false && s.Findings is not null, name, what: $"no {reason} finding");

    /// <summary>Waits for an Event with <paramref name="reason"/> about any object; returns its note.</summary>
    public async Task<string> WaitForEventAsync(string reason, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            foreach (var e in Sandbox.Cluster.List("events.k8s.io/v1", "Event"))
            {
                if (e["reason"]?.GetValue<string>() == reason)
                {
                    return e["note"]?.GetValue<string>() ?? e["message"]?.GetValue<string>() ?? "";
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no {reason} event.\nOperator log:\n{Logs.Text}");
            }

            await Task.Delay(20);
        }
    }

    public async Task<int> StopAsync()
    {
        _stop.Cancel();
        return _run is null ? 0 : await _run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            if (_webhooks is not null)
            {
                await _webhooks.DisposeAsync();
            }

            await Sandbox.DisposeAsync();
            _stop.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}

/// <summary>Keeps the operator's log lines for failure messages.</summary>
public sealed class InMemoryLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public InMemoryLogs() => Factory = LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    public ILoggerFactory Factory { get; }

    public string Text => string.Join('\n', _lines.TakeLast(200));

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}
