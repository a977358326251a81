using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using Microsoft.AspNetCore.Http;

namespace KubeSandbox.Http;

/// <summary>
/// <c>/_sandbox/...</c>: the faults of <see cref="SandboxFaults"/> over HTTP, for tests that run the sandbox as a
/// process (a <c>serve</c> command built on the library). Not part of the Kubernetes API: only users in
/// <c>system:masters</c> may call it, it is not logged in <see cref="SandboxServer.Requests"/>, no fault applies to
/// it, and it answers while the API server is stopped (so that it can be started again).
/// </summary>
internal sealed partial class ApiHandler
{
    internal const string AdminPrefix = "/_sandbox/";

    private async Task AdminAsync(HttpContext http, UserInfo? user)
    {
        if (user is null)
        {
            throw ApiErrors.Unauthorized();
        }

        if (!user.Groups.Contains(RbacAuthorizer.SuperuserGroup, StringComparer.Ordinal))
        {
            throw new ApiException(403, ApiErrors.Status(403, "Forbidden", $"User \"{user.Name}\" cannot use the sandbox's admin endpoints: only members of {RbacAuthorizer.SuperuserGroup} can", null));
        }

        var path = (http.Request.Path.Value ?? string.Empty)[AdminPrefix.Length..].TrimEnd('/');
        var method = http.Request.Method.ToUpperInvariant();
        JsonObject body = (method, path) switch
        {
            ("GET", "state") => AdminState(),
            ("POST", "restart") => Restart(_faults.RestartApiServer()),
            ("POST", "stop") => new JsonObject { ["brokenWatches"] = _faults.StopApiServer() },
            ("POST", "start") => Restart(_faults.StartApiServer()),
            ("POST", "compact") => new JsonObject { ["compactedRevision"] = Compact(http.Request.Query["revision"].ToString()) },
            ("POST", "watch-cache") => new JsonObject { ["watchCacheWindow"] = SetWindow(http.Request.Query["window"].ToString()) },
            ("POST", "watch-cache/expire") => ExpireWatchCache(),
            ("POST", "watches/drop") => new JsonObject { ["watches"] = _faults.DropWatches() },
            ("POST", "watches/close") => new JsonObject { ["watches"] = _faults.CloseWatches() },
            ("POST", "watches/expire") => new JsonObject { ["watches"] = _faults.ExpireWatches() },
            ("GET", "requests") => new JsonObject { ["requests"] = new JsonArray(_log.Snapshot().Select(r => (JsonNode?)AdminRequest(r)).ToArray()) },
            ("DELETE", "requests") => ClearRequests(),
            (_, "state" or "restart" or "stop" or "start" or "compact" or "watch-cache" or "watch-cache/expire" or "watches/drop" or "watches/close" or "watches/expire" or "requests") =>
                throw ApiErrors.MethodNotAllowed(),
            _ => throw new ApiException(404, ApiErrors.Status(404, "NotFound", $"the sandbox has no admin endpoint {AdminPrefix}{path}", null)),
        };
        await WriteJsonAsync(http, 200, body).ConfigureAwait(false);
    }

    private JsonObject AdminState() => new()
    {
        ["revision"] = Store.CurrentRv,
        ["compactedRevision"] = Store.CompactedRv,
        ["watchCacheWindow"] = Store.WatchWindow,
        ["apiServerStopped"] = _faults.ApiServerStopped,
        ["apiServerRestarts"] = _faults.ApiServerRestarts,
    };

    private static JsonObject Restart(ApiServerRestart restart) => new()
    {
        ["previousRevision"] = restart.PreviousRevision,
        ["watchCacheRevision"] = restart.WatchCacheRevision,
        ["brokenWatches"] = restart.BrokenWatches,
    };

    private long Compact(string revision)
    {
        if (revision.Length == 0)
        {
            return Store.CompactStorage(null);
        }

        if (!long.TryParse(revision, NumberStyles.None, CultureInfo.InvariantCulture, out var rv) || rv < 1 || rv > Store.CurrentRv)
        {
            throw ApiErrors.BadRequest($"revision: Invalid value: \"{revision}\": must be a revision between 1 and the current one, {Store.CurrentRv}");
        }

        return Store.CompactStorage(rv);
    }

    private int SetWindow(string window)
    {
        if (!int.TryParse(window, NumberStyles.None, CultureInfo.InvariantCulture, out var events) || events < 1)
        {
            throw ApiErrors.BadRequest($"window: Invalid value: \"{window}\": must be a positive number of events");
        }

        _faults.SetWatchCacheWindow(events);
        return events;
    }

    private JsonObject ExpireWatchCache()
    {
        _faults.ExpireWatchCache();
        return new JsonObject { ["revision"] = Store.CurrentRv };
    }

    private JsonObject ClearRequests()
    {
        _log.Clear();
        return [];
    }

    private static JsonObject AdminRequest(SandboxRequest request) => new()
    {
        ["method"] = request.Method,
        ["path"] = request.Path,
        ["query"] = request.Query,
        ["verb"] = request.Verb,
        ["group"] = request.Group,
        ["resource"] = request.Resource,
        ["namespace"] = request.Namespace,
        ["name"] = request.Name,
        ["userAgent"] = request.UserAgent,
        ["user"] = request.User,
        ["status"] = request.StatusCode,
    };
}
