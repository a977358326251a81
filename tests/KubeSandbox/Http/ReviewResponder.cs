using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Json;
using KubeSandbox.Resources;

namespace KubeSandbox.Http;

/// <summary>
/// What kube-apiserver answers to the review resources (k8s-golden 46, 49): SubjectAccessReview,
/// LocalSubjectAccessReview and SelfSubjectAccessReview are evaluated by the authorizer, TokenReview by the
/// authenticator; each comes back with its status and is never stored.
/// </summary>
internal sealed class ReviewResponder(IAuthorizer? authorizer, TokenAuthenticator tokens, IFieldManager? fieldManager)
{
    /// <summary>The response body (201) for <paramref name="review"/>, sent by <paramref name="user"/>; 422 for an invalid access review.</summary>
    public JsonObject Respond(ServedResource resource, JsonObject review, UserInfo user, string? ns, string manager, DateTimeOffset now) =>
        resource.Resource == "tokenreviews"
            ? TokenReview(resource, review["spec"] as JsonObject ?? [])
            : AccessReview(resource, review, user, ns, manager, now);

    private JsonObject AccessReview(ServedResource resource, JsonObject review, UserInfo user, string? ns, string manager, DateTimeOffset now)
    {
        var evaluator = authorizer ?? AllowAll.Instance;
        var result = resource.Resource switch
        {
            "selfsubjectaccessreviews" => SubjectAccessReviews.EvaluateSelf(review, user, evaluator),
            "localsubjectaccessreviews" => SubjectAccessReviews.EvaluateLocal(review, ns ?? string.Empty, evaluator),
            _ => SubjectAccessReviews.Evaluate(review, evaluator),
        };
        if (!result.IsValid)
        {
            throw ApiErrors.Invalid(resource, string.Empty, result.Errors);
        }

        var metadata = new JsonObject { ["creationTimestamp"] = null };
        if (fieldManager is not null)
        {
            metadata["managedFields"] = fieldManager.UpdateManagedFields(null, review, resource.Info, manager, null, now);
        }

        if (resource.Resource == "localsubjectaccessreviews")
        {
            metadata["namespace"] = ns;
        }

        return new JsonObject
        {
            ["kind"] = resource.Kind,
            ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = metadata,
            ["spec"] = result.Spec,
            ["status"] = result.Status,
        };
    }

    /// <summary>TokenReview: authenticates the token as the server's own authenticator does.</summary>
    private JsonObject TokenReview(ServedResource resource, JsonObject spec)
    {
        var token = JsonUtil.GetString(spec, "token") ?? string.Empty;
        var status = new JsonObject();
        if (tokens.Authenticate(token) is { } user)
        {
            status["authenticated"] = true;
            var userObject = new JsonObject { ["username"] = user.Name };
            if (user.Uid is not null)
            {
                userObject["uid"] = user.Uid;
            }

            userObject["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray());
            status["user"] = userObject;
        }
        else
        {
            status["user"] = new JsonObject();
            status["error"] = "invalid bearer token";
        }

        return new JsonObject
        {
            ["kind"] = "TokenReview",
            ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
    }

    /// <summary>What access reviews answer when no authorizer is plugged in (kube-apiserver's AlwaysAllow mode).</summary>
    private sealed class AllowAll : IAuthorizer
    {
        public static readonly AllowAll Instance = new();

        public AuthorizationDecision Authorize(AuthorizationAttributes attributes) => new(true, string.Empty);
    }
}
