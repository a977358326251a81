using System.Text.Json.Nodes;
using KubeSandbox.Semantics;

namespace KubeSandbox.Authorization;

/// <summary>
/// The evaluation of a SubjectAccessReview (or its Local/Self variants): <see cref="Errors"/> are the 422 causes when
/// the review is invalid; otherwise <see cref="Spec"/> is the spec as the server echoes it (members in API order) and
/// <see cref="Status"/> the computed status (<c>allowed</c>, and <c>reason</c> only when non-empty).
/// The server adds <c>kind</c>, <c>apiVersion</c> and <c>metadata</c> (<c>creationTimestamp: null</c>, managedFields).
/// </summary>
public sealed record SubjectAccessReviewResult(JsonObject? Spec, JsonObject? Status, IReadOnlyList<FieldError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>authorization.k8s.io/v1 access reviews evaluated by an <see cref="IAuthorizer"/>, as kube-apiserver's REST handlers do.</summary>
public static class SubjectAccessReviews
{
    /// <summary>POST /apis/authorization.k8s.io/v1/subjectaccessreviews: the subject is spec.user/groups/uid/extra.</summary>
    public static SubjectAccessReviewResult Evaluate(JsonObject review, IAuthorizer authorizer)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(authorizer);
        var spec = review["spec"] as JsonObject ?? [];
        var errors = ValidateAttributes(spec);
        var user = JsonRead.String(spec["user"]) ?? "";
        var groups = JsonRead.Strings(spec["groups"]);
        if (user.Length == 0 && groups.Count == 0)
        {
            errors.Add(Invalid("spec.user", "\"\"", "at least one of user or group must be specified"));
        }

        ValidateEmptyMetadata(review, allowNamespace: false, errors);
        if (errors.Count > 0)
        {
            return new SubjectAccessReviewResult(null, null, errors);
        }

        return Decide(spec, new UserInfo(user, groups, JsonRead.String(spec["uid"])), authorizer, includeSubject: true);
    }

    /// <summary>
    /// POST /apis/authorization.k8s.io/v1/namespaces/{ns}/localsubjectaccessreviews: like <see cref="Evaluate"/>, but
    /// resourceAttributes.namespace must be the request's namespace and nonResourceAttributes are not allowed.
    /// </summary>
    public static SubjectAccessReviewResult EvaluateLocal(JsonObject review, string requestNamespace, IAuthorizer authorizer)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(authorizer);
        var spec = review["spec"] as JsonObject ?? [];
        var errors = ValidateAttributes(spec);
        var user = JsonRead.String(spec["user"]) ?? "";
        var groups = JsonRead.Strings(spec["groups"]);
        if (user.Length == 0 && groups.Count == 0)
        {
            errors.Add(Invalid("spec.user", "\"\"", "at least one of user or group must be specified"));
        }

        ValidateEmptyMetadata(review, allowNamespace: true, errors);
        if (spec["resourceAttributes"] is JsonObject attributes)
        {
            var ns = JsonRead.String(attributes["namespace"]) ?? "";
            if (ns != requestNamespace)
            {
                errors.Add(Invalid("spec.resourceAttributes.namespace", GoFormat.Quote(ns), "must match metadata.namespace"));
            }
        }

        if (spec["nonResourceAttributes"] is JsonObject nonResource)
        {
            errors.Add(Invalid("spec.nonResourceAttributes", DescribeNonResource(nonResource), "disallowed on this kind of request"));
        }

        if (errors.Count > 0)
        {
            return new SubjectAccessReviewResult(null, null, errors);
        }

        return Decide(spec, new UserInfo(user, groups, JsonRead.String(spec["uid"])), authorizer, includeSubject: true);
    }

    /// <summary>POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: the subject is the requester.</summary>
    public static SubjectAccessReviewResult EvaluateSelf(JsonObject review, UserInfo requester, IAuthorizer authorizer)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(authorizer);
        var spec = review["spec"] as JsonObject ?? [];
        var errors = ValidateAttributes(spec);
        ValidateEmptyMetadata(review, allowNamespace: false, errors);
        if (errors.Count > 0)
        {
            return new SubjectAccessReviewResult(null, null, errors);
        }

        return Decide(spec, requester, authorizer, includeSubject: false);
    }

    private static SubjectAccessReviewResult Decide(JsonObject spec, UserInfo user, IAuthorizer authorizer, bool includeSubject)
    {
        AuthorizationAttributes attributes;
        var echoed = new JsonObject();
        if (spec["resourceAttributes"] is JsonObject resource)
        {
            var ns = JsonRead.String(resource["namespace"]) ?? "";
            var name = JsonRead.String(resource["name"]) ?? "";
            var subresource = JsonRead.String(resource["subresource"]) ?? "";
            attributes = new AuthorizationAttributes(
                user,
                JsonRead.String(resource["verb"]) ?? "",
                JsonRead.String(resource["group"]) ?? "",
                JsonRead.String(resource["resource"]) ?? "",
                subresource.Length == 0 ? null : subresource,
                ns.Length == 0 ? null : ns,
                name.Length == 0 ? null : name);
            echoed["resourceAttributes"] = Ordered(resource, "namespace", "verb", "group", "version", "resource", "subresource", "name");
        }
        else
        {
            var nonResource = (JsonObject)spec["nonResourceAttributes"]!;
            attributes = new AuthorizationAttributes(
                user,
                JsonRead.String(nonResource["verb"]) ?? "",
                "",
                "",
                null,
                null,
                null,
                IsResourceRequest: false,
                Path: JsonRead.String(nonResource["path"]) ?? "");
            echoed["nonResourceAttributes"] = Ordered(nonResource, "path", "verb");
        }

        if (includeSubject)
        {
            CopyIfPresent(spec, echoed, "user", s => JsonRead.String(s) is { Length: > 0 });
            CopyIfPresent(spec, echoed, "groups", s => s is JsonArray { Count: > 0 });
            CopyIfPresent(spec, echoed, "extra", s => s is JsonObject { Count: > 0 });
            CopyIfPresent(spec, echoed, "uid", s => JsonRead.String(s) is { Length: > 0 });
        }

        var decision = authorizer.Authorize(attributes);
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0)
        {
            status["reason"] = decision.Reason;
        }

        return new SubjectAccessReviewResult(echoed, status, []);
    }

    private static List<FieldError> ValidateAttributes(JsonObject spec)
    {
        var errors = new List<FieldError>();
        var resource = spec["resourceAttributes"] as JsonObject;
        var nonResource = spec["nonResourceAttributes"] as JsonObject;
        if (resource is not null && nonResource is not null)
        {
            errors.Add(Invalid("spec.nonResourceAttributes", DescribeNonResource(nonResource), "cannot be specified in combination with resourceAttributes"));
        }

        if (resource is null && nonResource is null)
        {
            errors.Add(Invalid("spec.resourceAttributes", "\"null\"", "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
        }

        return errors;
    }

    private static void ValidateEmptyMetadata(JsonObject review, bool allowNamespace, List<FieldError> errors)
    {
        if (review["metadata"] is not JsonObject metadata)
        {
            return;
        }

        foreach (var (key, value) in metadata)
        {
            // Only managedFields (and, for the local review, the namespace) may be set; empty values are "unset".
            var unset = value is null or JsonObject { Count: 0 } or JsonArray { Count: 0 } || JsonRead.String(value) == "";
            if (unset || key == "managedFields" || key == "namespace" && allowNamespace)
            {
                continue;
            }

            errors.Add(Invalid("metadata", GoFormat.Quote(metadata.ToJsonString()), allowNamespace ? "must be empty except for namespace" : "must be empty"));
            return;
        }
    }

    private static JsonObject Ordered(JsonObject source, params string[] members)
    {
        var result = new JsonObject();
        foreach (var member in members)
        {
            if (JsonRead.String(source[member]) is { Length: > 0 } value)
            {
                result[member] = value;
            }
        }

        return result;
    }

    private static void CopyIfPresent(JsonObject from, JsonObject to, string member, Func<JsonNode?, bool> present)
    {
        if (present(from[member]))
        {
            to[member] = from[member]!.DeepClone();
        }
    }

    private static string DescribeNonResource(JsonObject nonResource) =>
        $"authorization.NonResourceAttributes{{Path:{GoFormat.Quote(JsonRead.String(nonResource["path"]) ?? "")}, Verb:{GoFormat.Quote(JsonRead.String(nonResource["verb"]) ?? "")}}}";

    private static FieldError Invalid(string field, string renderedValue, string detail) =>
        new("FieldValueInvalid", field, $"Invalid value: {renderedValue}: {detail}");
}
