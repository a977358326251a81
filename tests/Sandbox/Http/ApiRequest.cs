using System.Text.Json.Nodes;
using GuardDutyCoverage.Sandbox.Resources;
using Microsoft.AspNetCore.Http;

namespace GuardDutyCoverage.Sandbox.Http;

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

    public void CheckFieldValidation()
    {
        var value = Query("fieldValidation");
        if (value is not (null or "" or "Strict" or "Warn" or "Ignore"))
        {
            throw ApiErrors.BadRequest($"fieldValidation: Unsupported value: \"{value}\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
        }
    }

    public JsonObject Options(string kind)
    {
        var options = new JsonObject { ["kind"] = kind, ["apiVersion"] = "meta.k8s.io/v1" };
        if (Http.Request.Query.ContainsKey("dryRun"))
        {
            options["dryRun"] = new JsonArray("All");
        }

        if (kind != "DeleteOptions")
        {
            options["fieldManager"] = FieldManager;
        }

        return options;
    }
}
