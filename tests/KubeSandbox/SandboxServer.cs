using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Http;
using KubeSandbox.Resources;
using KubeSandbox.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KubeSandbox;

/// <summary>
/// An in-process, stateful Kubernetes API server on 127.0.0.1 that KubernetesClient and the real kubectl talk to as to
/// a cluster. <c>await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions());</c>
/// </summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RequestLog _log;
    private readonly X509Certificate2? _certificate;
    private readonly TokenAuthenticator _tokens;
    private readonly IAdmissionChain? _admission;
    private int _disposed;
    private ITimer? _compactor;

    private SandboxServer(WebApplication app, SandboxCluster cluster, SandboxFaults faults, RequestLog log, SandboxOptions options, Uri baseAddress, X509Certificate2? certificate, TokenAuthenticator tokens, IAdmissionChain? admission)
    {
        _certificate = certificate;
        _tokens = tokens;
        _admission = admission;
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
    public string AdminToken => Options.Users.FirstOrDefault(p => p.Value.Groups.Contains(RbacAuthorizer.SuperuserGroup)).Key
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
        var tokens = new TokenAuthenticator(options.Users, cluster);
        cluster.ServiceAccountController = options.ServiceAccountController;
        var modules = new SandboxModuleContext(cluster, options.TimeProvider, cluster);
        var authorizer = options.Authorizer?.Invoke(modules);
        var admission = options.Admission?.Invoke(modules);

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
        var handler = new ApiHandler(cluster, options, faults, log, tokens, authorizer, admission, () => address);
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        address = $"127.0.0.1:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        var scheme = certificate is null ? "http" : "https";
        var server = new SandboxServer(app, cluster, faults, log, options, new Uri($"{scheme}://127.0.0.1:{uri.Port.ToString(CultureInfo.InvariantCulture)}/"), certificate, tokens, admission);
        if (options.Bootstrap)
        {
            Bootstrap(cluster);
        }

        store.MarkApiServerStarted();
        if (options.CompactionInterval > TimeSpan.Zero)
        {
            server._compactor = options.TimeProvider.CreateTimer(_ => store.CompactorTick(), null, options.CompactionInterval, options.CompactionInterval);
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

    /// <summary>
    /// Lets <paramref name="token"/> authenticate as <paramref name="user"/> from now on (replacing an earlier user of
    /// the token); the user gets <c>system:authenticated</c> added. With RBAC it may then do what its bindings allow.
    /// </summary>
    public void AddUser(string token, UserInfo user)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentNullException.ThrowIfNull(user);
        _tokens.Add(token, user);
    }

    /// <summary>
    /// Mints a token for the ServiceAccount <paramref name="name"/> in <paramref name="namespace"/> (created when it
    /// does not exist, like <c>kubectl create serviceaccount</c> + <c>kubectl create token</c>). The token authenticates
    /// as <c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c> in <c>system:serviceaccounts</c>,
    /// <c>system:serviceaccounts:&lt;namespace&gt;</c> and <c>system:authenticated</c>, until the ServiceAccount is
    /// deleted or replaced. Run the operator with it to give it exactly the RBAC of its Helm chart.
    /// </summary>
    public string AddServiceAccountToken(string @namespace, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var account = Cluster.Get("v1", "ServiceAccount", @namespace, name) ?? Cluster.Upsert(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
        });
        var token = "sandbox-sa-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _tokens.AddServiceAccount(token, @namespace, name, account["metadata"]!["uid"]!.GetValue<string>());
        return token;
    }

    /// <summary>
    /// An HTTP handler that trusts this sandbox's certificate (and only it) when it serves HTTPS. The caller owns it.
    /// </summary>
    public HttpMessageHandler CreateHttpHandler()
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (_certificate is not null)
        {
            var trusted = X509CertificateLoader.LoadCertificate(_certificate.RawData);
            handler.SslOptions.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { trusted },
                RevocationMode = X509RevocationMode.NoCheck,
            };
        }

        return handler;
    }

    /// <summary>An HttpClient for raw requests: base address set, the sandbox's certificate trusted, bearer token (admin by default).</summary>
    public HttpClient CreateHttpClient(string? token = null)
    {
        var client = new HttpClient(CreateHttpHandler(), disposeHandler: true) { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token ?? AdminToken);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_compactor is not null)
        {
            await _compactor.DisposeAsync().ConfigureAwait(false);
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
        switch (_admission)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        _certificate?.Dispose();
    }

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost that clients can pin as their CA.</summary>
    private static X509Certificate2 SelfSignedCertificate(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kube-sandbox", key, HashAlgorithmName.SHA256);
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

    /// <summary>What a fresh kube-apiserver creates on its own: system namespaces, priority classes, the RBAC bootstrap policy.</summary>
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

        // The RBAC bootstrap policy; the aggregation controller fills admin/edit/view as each ClusterRole lands.
        foreach (var role in BootstrapPolicy.ClusterRoles())
        {
            cluster.Upsert(role);
        }

        foreach (var binding in BootstrapPolicy.ClusterRoleBindings())
        {
            cluster.Upsert(binding);
        }
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
