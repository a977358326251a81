using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Sandbox.Http;
using GuardDutyCoverage.Sandbox.Resources;
using GuardDutyCoverage.Sandbox.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Sandbox;

/// <summary>
/// An in-process, stateful Kubernetes API server on 127.0.0.1 that KubernetesClient and the real kubectl talk to as to
/// a cluster. <c>await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions());</c>
/// </summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RequestLog _log;
    private int _disposed;

    private SandboxServer(WebApplication app, SandboxCluster cluster, SandboxFaults faults, RequestLog log, SandboxOptions options, Uri baseAddress)
    {
        _app = app;
        Cluster = cluster;
        Faults = faults;
        _log = log;
        Options = options;
        BaseAddress = baseAddress;
    }

    /// <summary>For example <c>http://127.0.0.1:38123/</c>.</summary>
    public Uri BaseAddress { get; }

    public SandboxOptions Options { get; }

    /// <summary>Seed, read and remove objects directly; see <see cref="SandboxCluster"/>.</summary>
    public SandboxCluster Cluster { get; }

    public SandboxFaults Faults { get; }

    /// <summary>A token of a user in <c>system:masters</c> (the first such in <see cref="SandboxOptions.Users"/>).</summary>
    public string AdminToken => Options.Users.FirstOrDefault(p => p.Value.Groups.Contains("system:masters")).Key
        ?? Options.Users.Keys.First();

    /// <summary>The requests served so far (most recent 10,000), oldest first.</summary>
    public IReadOnlyList<SandboxRequest> Requests => _log.Snapshot();

    public void ClearRequests() => _log.Clear();

    public static async Task<SandboxServer> StartAsync(SandboxOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SandboxOptions();
        if (options.Users.Count == 0)
        {
            throw new ArgumentException("at least one user token is required", nameof(options));
        }

        var store = new ObjectStore(options.WatchWindow, options.StorageHistory);
        var registry = new ResourceRegistry();
        var cluster = new SandboxCluster(store, registry, options.TimeProvider, options.FieldManager);
        var faults = new SandboxFaults(store);
        var log = new RequestLog(10_000);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
            kestrel.Listen(IPAddress.Loopback, options.Port);
        });
        var app = builder.Build();
        string address = "127.0.0.1";
        var handler = new ApiHandler(cluster, options, faults, log, () => address);
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        address = $"127.0.0.1:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        var server = new SandboxServer(app, cluster, faults, log, options, new Uri($"http://127.0.0.1:{uri.Port.ToString(CultureInfo.InvariantCulture)}/"));
        if (options.Bootstrap)
        {
            Bootstrap(cluster);
        }

        return server;
    }

    /// <summary>Writes a kubeconfig (cluster, user and context named <c>sandbox</c>) for kubectl or KubernetesClient.</summary>
    public void WriteKubeconfig(string path, string? token = null)
    {
        var server = BaseAddress.ToString().TrimEnd('/');
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sandbox
              cluster:
                server: {server}
            users:
            - name: sandbox
              user:
                token: {token ?? AdminToken}
            contexts:
            - name: sandbox
              context:
                cluster: sandbox
                user: sandbox
                namespace: default
            current-context: sandbox
            preferences: {"{}"}

            """;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, text);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var watcher in Cluster.Store.Watchers())
        {
            watcher.Complete();
        }

        using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(stopTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections that outlive the grace period are cut; the sandbox is going away anyway.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What a fresh kube-apiserver creates on its own: system namespaces, priority classes, cluster-admin.</summary>
    private static void Bootstrap(SandboxCluster cluster)
    {
        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            cluster.Upsert(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = name },
                ["status"] = new JsonObject { ["phase"] = "Active" },
            });
        }

        cluster.Upsert(PriorityClass("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."));
        cluster.Upsert(PriorityClass("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."));
        var bootstrapMetadata = new JsonObject
        {
            ["name"] = "cluster-admin",
            ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
        };
        cluster.Upsert(new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = bootstrapMetadata.DeepClone(),
            ["rules"] = new JsonArray(
                new JsonObject { ["apiGroups"] = new JsonArray("*"), ["resources"] = new JsonArray("*"), ["verbs"] = new JsonArray("*") },
                new JsonObject { ["nonResourceURLs"] = new JsonArray("*"), ["verbs"] = new JsonArray("*") }),
        });
        cluster.Upsert(new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = bootstrapMetadata.DeepClone(),
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "cluster-admin" },
            ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Group", ["name"] = "system:masters" }),
        });
    }

    private static JsonObject PriorityClass(string name, long value, string description) => new()
    {
        ["apiVersion"] = "scheduling.k8s.io/v1",
        ["kind"] = "PriorityClass",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["value"] = value,
        ["description"] = description,
        ["preemptionPolicy"] = "PreemptLowerPriority",
    };
}
