using System.Text.Json.Nodes;
using KubeSandbox.Resources;
using Microsoft.AspNetCore.Http;

namespace KubeSandbox.Http;

/// <summary>A parsed resource request with its authenticated user and the options every verb shares.</summary>
internal sealed class ApiRequest
{
    public required HttpContext Http { get; init; }

    public required SandboxRequest Info { get; init; }

    public required UserInfo User { get; init; }

    public required ServedResource Resource { get; init; }

    public string? Namespace => Info.Namespace;

    public string? Name => Info.Name;

    public string? Subresource => Info.Subresource;

    public CancellationToken Aborted => Http.RequestAborted;

    public string? Query(string name)
    {
        var values = Http.Request.Query[name];
        return values.Count == 0 ? null : values[^1];
    }

    public bool QueryFlag(string name) => Query(name) is "true" or "1" or "True";

    /// <summary>dryRun=All; any other value is rejected as the real server does.</summary>
    public bool DryRun
    {
        get
        {
            var values = Http.Request.Query["dryRun"];
            foreach (var value in values)
            {
                if (value != "All")
                {
                    throw ApiErrors.BadRequest($"Invalid dry run value: \"{value}\": supported values: \"All\"");
                }
            }

            return values.Count > 0;
        }
    }

    /// <summary>The field manager: the query parameter, else the User-Agent up to its first '/', else "unknown".</summary>
    public string FieldManager
    {
        get
        {
            var explicitManager = Query("fieldManager");
            if (!string.IsNullOrEmpty(explicitManager))
            {
                return explicitManager;
            }

            var agent = Info.UserAgent;
            if (string.IsNullOrEmpty(agent))
            {
                return "unknown";
            }

            var prefix = agent.Split('/')[0];
            return prefix.Length > 128 ? prefix[..128] : prefix;
        }
    }

    /// <summary>
    /// <c>fieldValidation</c>: Strict refuses unknown fields, Warn (the default since v1.27, and what an absent value
    /// means) reports them in Warning headers, Ignore drops them silently. Other values are a 400.
    /// </summary>
    public string FieldValidation
    {
        get
        {
            var value = Query("fieldValidation");
            return value switch
            {
                null or "" or "Warn" => "Warn",
                "Strict" or "Ignore" => value,
                _ => throw ApiErrors.BadRequest($"fieldValidation: Unsupported value: \"{value}\": supported values: \"Ignore\", \"Strict\", \"Warn\""),
            };
        }
    }

    /// <summary>Adds a Warning header (RFC 7234 code 299, as kube-apiserver sends them; kubectl prints them).</summary>
    public void Warn(string text) =>
        Http.Response.Headers.Append("Warning", "299 - \"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");

    /// <summary>The Create/Update/Patch/DeleteOptions of the request as admission webhooks see them.</summary>
    public JsonObject Options(string kind)
    {
        var options = new JsonObject { ["kind"] = kind, ["apiVersion"] = "meta.k8s.io/v1" };
        if (Http.Request.Query.ContainsKey("dryRun"))
        {
            options["dryRun"] = new JsonArray("All");
        }

        // Only what the client sent: the options object is decoded from the query (k8s-golden 60, 61).
        if (kind != "DeleteOptions" && Query("fieldManager") is { Length: > 0 } fieldManager)
        {
            options["fieldManager"] = fieldManager;
        }

        if (kind == "PatchOptions" && QueryFlag("force"))
        {
            options["force"] = true;
        }

        return options;
    }
}
