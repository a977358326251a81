namespace KubeSandbox;

/// <summary>How a <see cref="SandboxServer"/> behaves. Every member has a default that behaves like a fresh cluster.</summary>
public sealed class SandboxOptions
{
    /// <summary>The token of the default user <c>admin</c> (groups <c>system:masters</c>, <c>system:authenticated</c>).</summary>
    public const string DefaultAdminToken = "sandbox-admin-token";

    /// <summary>Clock for timestamps, Table ages, watch timeouts and bookmarks, fault delays.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// What <c>/version</c> reports as gitVersion (major and minor are derived from it). The default is the recorded
    /// server's, <c>v1.24.0+0</c> (<see cref="Http.ServerVersion.Recorded"/>): the version whose behaviour the sandbox
    /// implements and is checked against.
    /// </summary>
    public string KubernetesVersion { get; init; } = Http.ServerVersion.Recorded.GitVersion;

    /// <summary>Loopback port to listen on; 0 lets the OS choose.</summary>
    public int Port { get; init; }

    /// <summary>
    /// Serve HTTPS with a self-signed certificate for 127.0.0.1 (its PEM goes into the kubeconfig as
    /// certificate-authority-data), the default: kubectl sends bearer tokens only over TLS, so only then is it
    /// authenticated. False serves plain HTTP (kubectl is then <see cref="AnonymousUser"/>).
    /// </summary>
    public bool UseHttps { get; init; } = true;

    /// <summary>
    /// Bearer tokens and the users they authenticate (<c>system:authenticated</c> is added to each, as kube-apiserver
    /// does). Defaults to <see cref="DefaultAdminToken"/> as admin. More can be added while running:
    /// <see cref="SandboxServer.AddUser"/>, <see cref="SandboxServer.AddServiceAccountToken"/>.
    /// </summary>
    public IReadOnlyDictionary<string, UserInfo> Users { get; init; } = new Dictionary<string, UserInfo>
    {
        [DefaultAdminToken] = new UserInfo("admin", ["system:masters", "system:authenticated"]),
    };

    /// <summary>
    /// Who a request without an Authorization header is: <c>system:anonymous</c> in <c>system:unauthenticated</c>, as
    /// kube-apiserver with anonymous auth (RBAC then allows it only the public-info paths); null answers such requests
    /// 401. An unknown token is always 401.
    /// </summary>
    public UserInfo? AnonymousUser { get; init; } = new UserInfo("system:anonymous", ["system:unauthenticated"]);

    /// <summary>How many events of each resource the watch cache keeps; watches from older RVs get 410 Expired.</summary>
    public int WatchWindow { get; init; } = 1000;

    /// <summary>How many changes storage keeps for exact-RV lists and continue tokens before compacting.</summary>
    public int StorageHistory { get; init; } = 10_000;

    /// <summary>
    /// kube-apiserver's <c>--etcd-compaction-interval</c> (its default is 5 minutes) on <see cref="TimeProvider"/>: each
    /// interval etcd is compacted at the revision of the previous one (<see cref="Storage.ObjectStore.CompactorTick"/>).
    /// Zero (the default) leaves compaction to <see cref="StorageHistory"/> and <see cref="SandboxFaults"/>.
    /// </summary>
    public TimeSpan CompactionInterval { get; init; }

    /// <summary>How often a watch with <c>allowWatchBookmarks</c> gets a BOOKMARK (kube-apiserver: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a watch without <c>timeoutSeconds</c> stays open.</summary>
    public TimeSpan DefaultWatchTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Create what a new kube-apiserver creates: the four system namespaces, system priority classes, the RBAC bootstrap policy (cluster-admin, admin/edit/view, discovery, ...).</summary>
    public bool Bootstrap { get; init; } = true;

    /// <summary>
    /// Structural-schema pruning, defaulting and validation of custom resources, and <c>fieldValidation</c> for them.
    /// Default: <see cref="Semantics.StructuralSchemaValidator"/>. Null: custom resources are stored unvalidated and unpruned.
    /// </summary>
    public ISchemaValidator? SchemaValidator { get; init; } = new Semantics.StructuralSchemaValidator();

    /// <summary>
    /// Strategic merge patch, server-side apply and managedFields. Default: <see cref="Semantics.FieldManager"/>.
    /// Null: no managedFields, strategic merge patches are applied as JSON merge patches with kubectl's directives,
    /// and apply answers 415.
    /// </summary>
    public IFieldManager? FieldManager { get; init; } = new Semantics.FieldManager();

    /// <summary>
    /// Builds the authorizer of every request and of the access reviews, over the live cluster. Default:
    /// <see cref="SandboxModules.Rbac"/> (kube-apiserver's <c>--authorization-mode=RBAC</c>: <c>system:masters</c>,
    /// then the stored roles and bindings). Null: everything is allowed.
    /// </summary>
    public Func<SandboxModuleContext, IAuthorizer>? Authorizer { get; init; } = SandboxModules.Rbac;

    /// <summary>
    /// Builds the admission chain of writes. Default: <see cref="SandboxModules.DefaultAdmission"/> (the built-in
    /// plugins LimitRanger, ServiceAccount, TaintNodesByCondition, Priority, DefaultTolerationSeconds, PodSecurity,
    /// ResourceQuota around the stored Mutating/ValidatingWebhookConfigurations, called over HTTPS; Service references
    /// reach loopback Endpoints). <see cref="SandboxModules.Webhooks"/> is the webhooks alone. The server disposes what
    /// the factory returns when it is disposable. Null: no admission.
    /// </summary>
    public Func<SandboxModuleContext, IAdmissionChain>? Admission { get; init; } = SandboxModules.DefaultAdmission;

    /// <summary>
    /// Emulate kube-controller-manager's serviceaccount controller: every namespace (the bootstrap ones included) gets
    /// a <c>default</c> ServiceAccount when created, so pods pass the ServiceAccount admission plugin. False is a bare
    /// API server like the one k8s-golden was recorded on: pods need their ServiceAccount created first.
    /// </summary>
    public bool ServiceAccountController { get; init; } = true;
}

/// <summary>A request as the sandbox saw it: what fault predicates match on and what <see cref="SandboxServer.Requests"/> records.</summary>
/// <param name="Verb">Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; or the lower-case HTTP method for non-resource paths.</param>
public sealed record SandboxRequest(
    string Method,
    string Path,
    string Query,
    string Verb,
    bool IsResourceRequest,
    string Group,
    string Version,
    string Resource,
    string? Subresource,
    string? Namespace,
    string? Name,
    string? UserAgent,
    string? User,
    string? ContentType)
{
    /// <summary>The HTTP status code of the response (0 while in flight, or for a watch until it ends).</summary>
    public int StatusCode { get; internal set; }
}
