using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Semantics;

namespace KubeSandbox.Admission;

/// <summary>A webhook's reply after kube-apiserver's checks (VerifyAdmissionResponse), patch normalized to v1 types.</summary>
internal sealed record VerifiedResponse(bool Allowed, JsonObject? Result, byte[]? Patch, string PatchType);

/// <summary>Why a reply was not usable: a decoding failure (reported as "failed to call webhook") or an invalid reply.</summary>
internal sealed record ResponseProblem(bool IsDecodingError, string Message);

/// <summary>The AdmissionReview kube-apiserver sends (shaped as in k8s-golden 60/61) and the checks it makes on the reply.</summary>
internal static class AdmissionReviews
{
    public const string Group = "admission.k8s.io";

    /// <summary>The first version in the webhook's admissionReviewVersions the server can send.</summary>
    public static string? ChooseVersion(IReadOnlyList<string> versions) => versions.FirstOrDefault(v => v is "v1" or "v1beta1");

    public static JsonObject Request(string version, string uid, WebhookInvocation invocation, AdmissionRequestContext context, JsonObject? obj, JsonObject? oldObject, RequestAttributes requested)
    {
        var called = invocation.Attributes;
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = Gvk(called.KindGroup, called.KindVersion, called.Kind),
            ["resource"] = Gvr(called.Group, called.Version, called.Resource),
        };
        if (called.Subresource.Length > 0)
        {
            request["subResource"] = called.Subresource;
        }

        request["requestKind"] = Gvk(requested.KindGroup, requested.KindVersion, requested.Kind);
        request["requestResource"] = Gvr(requested.Group, requested.Version, requested.Resource);
        if (requested.Subresource.Length > 0)
        {
            request["requestSubResource"] = requested.Subresource;
        }

        if (requested.Name.Length > 0)
        {
            request["name"] = requested.Name;
        }

        if (requested.Namespace.Length > 0)
        {
            request["namespace"] = requested.Namespace;
        }

        request["operation"] = requested.Operation;
        request["userInfo"] = UserInfoJson(context.User);
        request["object"] = Versioned(obj, invocation);
        request["oldObject"] = Versioned(oldObject, invocation);
        request["dryRun"] = context.DryRun;
        request["options"] = Options(requested.Operation, context.Options);
        return new JsonObject
        {
            ["kind"] = "AdmissionReview",
            ["apiVersion"] = Group + "/" + version,
            ["request"] = request,
        };
    }

    /// <summary>Decodes and checks the reply (uid and kind for v1; patch and patchType pairing; no patches from validating webhooks).</summary>
    public static (VerifiedResponse? Response, ResponseProblem? Problem) Verify(string version, string uid, bool mutating, JsonObject review)
    {
        if (review["response"] is not JsonObject response)
        {
            return (null, new ResponseProblem(false, "webhook response was absent"));
        }

        byte[]? patch = null;
        if (response["patch"] is { } patchNode)
        {
            if (JsonRead.String(patchNode) is not { } encoded)
            {
                return (null, new ResponseProblem(true, "json: cannot unmarshal non-string into Go struct field AdmissionResponse.response.patch of type []uint8"));
            }

            if (!TryBase64(encoded, out patch, out var badByte))
            {
                return (null, new ResponseProblem(true, $"illegal base64 data at input byte {badByte}"));
            }
        }

        var allowed = JsonRead.Boolean(response["allowed"]) ?? false;
        var result = response["status"] as JsonObject;
        var patchType = JsonRead.String(response["patchType"]);
        if (version == "v1beta1")
        {
            // v1beta1 replies were never checked for uid or kind, and the patch type is pinned to JSONPatch.
            var v1beta1Patch = mutating && patch is { Length: > 0 } ? patch : null;
            return (new VerifiedResponse(allowed, result, v1beta1Patch, v1beta1Patch is null ? "" : "JSONPatch"), null);
        }

        var responseUid = JsonRead.String(response["uid"]) ?? "";
        if (responseUid != uid)
        {
            return (null, new ResponseProblem(false, $"expected response.uid={GoFormat.Quote(uid)}, got {GoFormat.Quote(responseUid)}"));
        }

        var apiVersion = JsonRead.String(review["apiVersion"]) ?? "";
        var kind = JsonRead.String(review["kind"]) ?? "";
        if (apiVersion != Group + "/v1" || kind != "AdmissionReview")
        {
            return (null, new ResponseProblem(false, $"expected webhook response of {Group}/v1, Kind=AdmissionReview, got {(apiVersion.Length == 0 ? "/" : apiVersion)}, Kind={kind}"));
        }

        var hasPatchType = response["patchType"] is not null;
        if (mutating)
        {
            if (patch is { Length: > 0 } && !hasPatchType)
            {
                return (null, new ResponseProblem(false, "webhook returned response.patch but not response.patchType"));
            }

            if (patch is not { Length: > 0 } && hasPatchType)
            {
                return (null, new ResponseProblem(false, "webhook returned response.patchType but not response.patch"));
            }

            if (hasPatchType && string.IsNullOrEmpty(patchType))
            {
                return (null, new ResponseProblem(false, $"webhook returned invalid response.patchType of {GoFormat.Quote(patchType ?? "")}"));
            }

            return (new VerifiedResponse(allowed, result, patch, patchType ?? ""), null);
        }

        if (patch is { Length: > 0 })
        {
            return (null, new ResponseProblem(false, "validating webhook may not return response.patch"));
        }

        if (hasPatchType)
        {
            return (null, new ResponseProblem(false, "validating webhook may not return response.patchType"));
        }

        return (new VerifiedResponse(allowed, result, null, ""), null);
    }

    /// <summary>
    /// webhookerrors.ToStatusErr: the webhook's own Status with a code of at least 400, status Failure, and the message
    /// prefixed with <c>admission webhook "name" denied the request</c>; reason and details only if the webhook set them.
    /// </summary>
    public static JsonObject Rejection(string webhookName, JsonObject? result)
    {
        var deniedBy = $"admission webhook {GoFormat.Quote(webhookName)} denied the request";
        var code = JsonRead.Integer(result?["code"]) ?? 0;
        if (code < 400 || code > int.MaxValue)
        {
            code = 400;
        }

        var message = JsonRead.String(result?["message"]);
        var reason = JsonRead.String(result?["reason"]);
        var text = !string.IsNullOrEmpty(message) ? $"{deniedBy}: {message}"
            : !string.IsNullOrEmpty(reason) ? $"{deniedBy}: {reason}"
            : deniedBy + " without explanation";
        return ApiStatus.Failure(
            (int)code,
            text,
            reason,
            result?["details"]?.DeepClone() as JsonObject,
            result?["metadata"]?.DeepClone() as JsonObject);
    }

    /// <summary>Go's time.Duration.String() for whole seconds (10s, 1m0s).</summary>
    public static string GoDuration(int seconds)
    {
        if (seconds < 60)
        {
            return seconds.ToString(CultureInfo.InvariantCulture) + "s";
        }

        var span = TimeSpan.FromSeconds(seconds);
        var minutes = $"{span.Minutes}m{span.Seconds}s";
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{minutes}" : $"{(int)span.TotalMinutes}m{span.Seconds}s";
    }

    private static JsonObject Gvk(string group, string version, string kind) => new() { ["group"] = group, ["version"] = version, ["kind"] = kind };

    private static JsonObject Gvr(string group, string version, string resource) => new() { ["group"] = group, ["version"] = version, ["resource"] = resource };

    private static JsonObject UserInfoJson(UserInfo user)
    {
        var info = new JsonObject { ["username"] = user.Name };
        if (!string.IsNullOrEmpty(user.Uid))
        {
            info["uid"] = user.Uid;
        }

        if (user.Groups.Count > 0)
        {
            info["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode?)JsonValue.Create(g))]);
        }

        return info;
    }

    /// <summary>The object in the version the webhook asked for; conversion between served versions only changes apiVersion.</summary>
    private static JsonObject? Versioned(JsonObject? obj, WebhookInvocation invocation)
    {
        if (obj is null)
        {
            return null;
        }

        var copy = obj.DeepClone().AsObject();
        if (invocation.ThroughEquivalent && invocation.Attributes.Subresource.Length == 0)
        {
            var called = invocation.Attributes;
            copy["apiVersion"] = called.Group.Length == 0 ? called.Version : called.Group + "/" + called.Version;
        }

        return copy;
    }

    private static JsonObject? Options(string operation, JsonObject options)
    {
        var kind = operation switch
        {
            "CREATE" => "CreateOptions",
            "UPDATE" => "UpdateOptions",
            "DELETE" => "DeleteOptions",
            _ => null,
        };
        if (kind is null)
        {
            return options.Count == 0 ? null : options.DeepClone().AsObject();
        }

        var result = new JsonObject { ["kind"] = kind, ["apiVersion"] = "meta.k8s.io/v1" };
        foreach (var (name, value) in options)
        {
            if (name is not ("kind" or "apiVersion"))
            {
                result[name] = value?.DeepClone();
            }
        }

        return result;
    }

    private static bool TryBase64(string encoded, out byte[]? bytes, out int badByte)
    {
        bytes = null;
        badByte = 0;
        var buffer = new byte[(encoded.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(encoded, buffer, out var written))
        {
            bytes = buffer[..written];
            return true;
        }

        // Go reports the offset of the first byte outside the standard alphabet (or the length for bad padding).
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
            {
                badByte = i;
                return false;
            }
        }

        badByte = encoded.Length;
        return false;
    }
}
