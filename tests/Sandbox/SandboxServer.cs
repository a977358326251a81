using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Sandbox.Http;
using GuardDutyCoverage.Sandbox.Resources;
using GuardDutyCoverage.Sandbox.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
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
    private readonly X509Certificate2? _certificate;
    private int _disposed;

    private SandboxServer(WebApplication app, SandboxCluster cluster, SandboxFaults faults, RequestLog log, SandboxOptions options, Uri baseAddress, X509Certificate2? certificate)
    {
        _certificate = certificate;
        CertificateAuthorityPem = certificate?.ExportCertificatePem();
        _app = app;
        Cluster = cluster;
        Faults = faults;
        _log = log;
        Options = options;
        BaseAddress = baseAddress;
    }

    /// <summary>For example <c>http://127.0.0.1:38123/</c> (https with <see cref="SandboxOptions.UseHttps"/>).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The self-signed serving certificate (PEM) when <see cref="SandboxOptions.UseHttps"/>; clients trust it as their CA.</summary>
    public string? CertificateAuthorityPem { get; }

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

        var certificate = options.UseHttps ? SelfSignedCertificate(options.TimeProvider.GetUtcNow()) : null;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
            kestrel.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        string address = "127.0.0.1";
        var handler = new ApiHandler(cluster, options, faults, log, () => address);
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        address = $"127.0.0.1:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        var scheme = certificate is null ? "http" : "https";
        var server = new SandboxServer(app, cluster, faults, log, options, new Uri($"{scheme}://127.0.0.1:{uri.Port.ToString(CultureInfo.InvariantCulture)}/"), certificate);
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
        var authority = CertificateAuthorityPem is null
            ? string.Empty
            : "\n    certificate-authority-data: " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(CertificateAuthorityPem));
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sandbox
              cluster:
                server: {server}{authority}
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
        _certificate?.Dispose();
    }

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost that clients can pin as their CA.</summary>
    private static X509Certificate2 SelfSignedCertificate(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=guardduty-sandbox", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        // Kestrel needs the private key in a persisted form; a PKCS#12 round trip gives it one.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
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
