using System.Text.Json.Nodes;

namespace KubeSandbox;

// The seams between the sandbox's server core (routing, store, watch, discovery, tables) and its semantic modules
// (schema validation and defaulting, structured merge and managed fields, authorization, admission). Each module is
// pure or nearly so and is tested on its own against tests/testdata/k8s-golden; the server wires them together.

/// <summary>A resource kind the sandbox serves: built-in, or registered by a CustomResourceDefinition.</summary>
/// <param name="Group">"" for the core group.</param>
/// <param name="Resource">The plural resource name, for example "daemonsets".</param>
/// <param name="OpenApiV3Schema">The CRD version's schema for custom resources; null for built-ins.</param>
public sealed record ResourceInfo(
    string Group,
    string Version,
    string Resource,
    string Kind,
    bool Namespaced,
    string Singular,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Verbs,
    bool HasStatusSubresource,
    JsonObject? OpenApiV3Schema = null)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public bool IsCustomResource => OpenApiV3Schema is not null;
}

/// <summary>
/// One cause of a 422 Invalid, as kube-apiserver reports it in <c>details.causes</c>:
/// reason (FieldValueInvalid, FieldValueRequired, FieldValueTypeInvalid, FieldValueNotSupported, FieldValueDuplicate,
/// FieldValueTooLong, FieldValueForbidden), message ("Invalid value: 0: spec.size in body should be greater than or
/// equal to 1") and field ("spec.size").
/// </summary>
public sealed record FieldError(string Reason, string Field, string Message);

/// <summary>Read access to the stored objects, for modules that evaluate against cluster state (RBAC, selectors).</summary>
public interface IObjectReader
{
    IReadOnlyList<JsonObject> List(string group, string resource, string? @namespace = null);

    JsonObject? Get(string group, string resource, string? @namespace, string name);
}

/// <summary>
/// Structural-schema semantics for custom resources, in the two places kube-apiserver applies them: decoding (prune
/// unknown fields, default) and the strategy's validation (after mutating admission).
/// </summary>
public interface ISchemaValidator
{
    /// <summary>
    /// Prunes fields the schema does not know and applies defaults, in place. Returns the pruned paths, sorted
    /// (<c>spec.foo</c>, <c>spec.items[0].bar</c>): what <c>fieldValidation=Strict</c> refuses and <c>Warn</c> reports.
    /// </summary>
    IReadOnlyList<string> PruneAndDefault(JsonObject obj, ResourceInfo resource);

    /// <summary>Validates without changing the object: the causes of a 422 Invalid in the order kube-apiserver reports them (empty when valid).</summary>
    IReadOnlyList<FieldError> Validate(JsonObject obj, ResourceInfo resource);
}

/// <summary>Structured merge: strategic merge patch, server-side apply and metadata.managedFields.</summary>
public interface IFieldManager
{
    /// <summary>Applies an application/strategic-merge-patch+json body (built-in kinds; custom resources reject it with 415).</summary>
    JsonObject StrategicMergePatch(JsonObject live, JsonObject patch, ResourceInfo resource);

    /// <summary>
    /// Records a create/update/patch by <paramref name="manager"/> (operation "Update") and returns the new
    /// metadata.managedFields. <paramref name="before"/> is null on create.
    /// </summary>
    JsonArray UpdateManagedFields(JsonObject? before, JsonObject after, ResourceInfo resource, string manager, string? subresource, DateTimeOffset now);

    /// <summary>Server-side apply of <paramref name="applyConfiguration"/> onto <paramref name="live"/> (null: create).</summary>
    ApplyOutcome Apply(JsonObject? live, JsonObject applyConfiguration, ResourceInfo resource, string manager, bool force, string? subresource, DateTimeOffset now);
}

/// <summary>The applied object (with managedFields) or, when another manager owns a field with another value, the conflicts.</summary>
public sealed record ApplyOutcome(JsonObject? Result, IReadOnlyList<ApplyConflict> Conflicts);

/// <summary>
/// A field owned by another manager: field path like <c>.spec.template.spec.containers[name="x"].image</c>.
/// <paramref name="Operation"/> and <paramref name="Subresource"/> are those of the other manager's managedFields
/// entry; the conflict message names an Update manager with its apiVersion and an Apply manager without.
/// </summary>
public sealed record ApplyConflict(string Manager, string ApiVersion, string Field, string Operation = "Update", string? Subresource = null);

/// <summary>The authenticated user of a request.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string? Uid = null);

/// <summary>What a request (or a SubjectAccessReview) asks to do.</summary>
public sealed record AuthorizationAttributes(
    UserInfo User,
    string Verb,
    string ApiGroup,
    string Resource,
    string? Subresource,
    string? Namespace,
    string? Name,
    bool IsResourceRequest = true,
    string? Path = null);

/// <summary>An RBAC decision with the reason text kube-apiserver writes into SubjectAccessReview status.</summary>
public sealed record AuthorizationDecision(bool Allowed, string Reason);

public interface IAuthorizer
{
    AuthorizationDecision Authorize(AuthorizationAttributes attributes);
}

/// <summary>Everything admission needs to know about one write request.</summary>
public sealed record AdmissionRequestContext(
    ResourceInfo Resource,
    string Operation,
    string? Subresource,
    string? Namespace,
    string Name,
    JsonObject? Object,
    JsonObject? OldObject,
    bool DryRun,
    UserInfo User,
    JsonObject Options,
    JsonObject? NamespaceObject);

/// <summary>
/// The result of admission: allowed (possibly with a mutated object), or denied with the HTTP status code and the
/// complete Status body the server must return (for example 403 with no reason, per k8s-golden 53-56).
/// <paramref name="Warnings"/> become <c>Warning</c> headers of the response, denied or not (Pod Security's
/// <c>would violate PodSecurity ...</c>, k8s-golden 100, 102, 106).
/// </summary>
public sealed record AdmissionOutcome(bool Allowed, JsonObject? MutatedObject, int StatusCode, JsonObject? Status, IReadOnlyList<string>? Warnings = null);

public interface IAdmissionChain
{
    /// <summary>
    /// Mutating admission: runs the mutating webhooks that match the request, in order. The outcome's
    /// <c>MutatedObject</c> is null when nothing changed the object.
    /// </summary>
    Task<AdmissionOutcome> MutateAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken);

    /// <summary>
    /// Validating admission of the object as it will be stored (after mutation, defaulting and the strategy's
    /// validation): runs the validating webhooks that match; never changes the object.
    /// </summary>
    Task<AdmissionOutcome> ValidateAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken);
}

/// <summary>Writes objects the way an in-process component of the server does (the quota plugin charging usage to a quota's status).</summary>
public interface IObjectWriter
{
    /// <summary>Creates or replaces an object as given, status included; emits the watch event. Returns the stored object.</summary>
    JsonObject Upsert(JsonObject obj);
}

/// <summary>What the sandbox hands the factories of its cluster-aware modules (<see cref="SandboxOptions.Authorizer"/>, <see cref="SandboxOptions.Admission"/>).</summary>
/// <param name="Cluster">The stored objects, read live.</param>
/// <param name="Time">The sandbox's clock.</param>
/// <param name="Writer">Writes back into the cluster (the sandbox's own <see cref="SandboxCluster"/>); null when a module may only read.</param>
public sealed record SandboxModuleContext(IObjectReader Cluster, TimeProvider Time, IObjectWriter? Writer = null);
