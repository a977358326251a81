using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Sandbox.Authorization;
using GuardDutyCoverage.Sandbox.Json;
using GuardDutyCoverage.Sandbox.Resources;
using GuardDutyCoverage.Sandbox.Semantics;
using GuardDutyCoverage.Sandbox.Storage;
using GuardDutyCoverage.Sandbox.Tables;
using Microsoft.AspNetCore.Http;

namespace GuardDutyCoverage.Sandbox.Http;

/// <summary>The kube-apiserver HTTP surface: routing, authentication, authorization, faults, and the read verbs.</summary>
internal sealed partial class ApiHandler
{
    private const int MaxBodyBytes = 3 * 1024 * 1024;

    private readonly SandboxCluster _cluster;
    private readonly SandboxOptions _options;
    private readonly SandboxFaults _faults;
    private readonly RequestLog _log;
    private readonly OpenApiDocuments _openApi;
    private readonly Func<string> _serverAddress;
    private readonly TokenAuthenticator _tokens;
    private readonly IAuthorizer? _authorizer;
    private readonly IAdmissionChain? _admission;

    public ApiHandler(
        SandboxCluster cluster,
        SandboxOptions options,
        SandboxFaults faults,
        RequestLog log,
        TokenAuthenticator tokens,
        IAuthorizer? authorizer,
        IAdmissionChain? admission,
        Func<string> serverAddress)
    {
        _cluster = cluster;
        _options = options;
        _faults = faults;
        _log = log;
        _tokens = tokens;
        _authorizer = authorizer;
        _admission = admission;
        _serverAddress = serverAddress;
        _openApi = new OpenApiDocuments(cluster.Registry, options.KubernetesVersion);
    }

    private ObjectStore Store => _cluster.Store;

    private ResourceRegistry Registry => _cluster.Registry;

    private TimeProvider Time => _options.TimeProvider;

    public async Task HandleAsync(HttpContext http)
    {
        var request = Describe(http);
        var user = Authenticate(http);
        var info = request with { User = user?.Name };

        // A delayed request starts waiting before it is logged: a test that sees it in Requests and then moves the
        // clock always finds the timer armed.
        var held = user is not null && _faults.Take(info, delays: true) is { } delay
            ? Task.Delay(delay.Delay, Time, http.RequestAborted)
            : null;
        _log.Add(info);
        try
        {
            if (user is null)
            {
                throw ApiErrors.Unauthorized();
            }

            if (held is not null)
            {
                await held.ConfigureAwait(false);
            }

            if (_faults.Take(info, delays: false) is { } fault)
            {
                var status = SandboxFaults.FaultStatus(fault, info, out var headers);
                throw new ApiException(fault.StatusCode, status, headers);
            }

            Authorize(info, user);
            await DispatchAsync(http, info, user).ConfigureAwait(false);
        }
        catch (ApiException ex)
        {
            await WriteStatusAsync(http, ex).ConfigureAwait(false);
        }
        catch (ApiStatusException ex)
        {
            // A semantic module refused the request with the complete Status kube-apiserver sends.
            await WriteStatusAsync(http, new ApiException(ex.StatusCode, ex.Status)).ConfigureAwait(false);
        }
        catch (SelectorException ex)
        {
            await WriteStatusAsync(http, ApiErrors.BadRequest(ex.Message)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            info.StatusCode = http.Response.StatusCode;
        }
    }

    private UserInfo? Authenticate(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return _options.AnonymousUser;
        }

        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? _tokens.Authenticate(header[7..].Trim()) : null;
    }

    private void Authorize(SandboxRequest info, UserInfo user)
    {
        if (_authorizer is null)
        {
            return;
        }

        var attributes = new AuthorizationAttributes(
            user,
            info.Verb,
            info.Group,
            info.Resource,
            info.Subresource,
            info.Namespace,
            info.Name,
            info.IsResourceRequest,
            info.Path);
        var decision = _authorizer.Authorize(attributes);
        if (!decision.Allowed)
        {
            throw new ApiException(403, ForbiddenStatus.For(attributes, decision.Reason));
        }
    }

    /// <summary>Parses the path as kube-apiserver's RequestInfoFactory does.</summary>
    private static SandboxRequest Describe(HttpContext http)
    {
        var method = http.Request.Method.ToUpperInvariant();
        var path = http.Request.Path.Value ?? "/";
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var query = http.Request.QueryString.Value ?? string.Empty;
        var agent = http.Request.Headers.UserAgent.ToString();
        var contentType = http.Request.ContentType;
        var nonResource = new SandboxRequest(method, path, query, method.ToLowerInvariant(), false, string.Empty, string.Empty, string.Empty, null, null, null, agent, null, contentType);

        int rest;
        string group;
        string version;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            group = string.Empty;
            version = segments[1];
            rest = 2;
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            group = segments[1];
            version = segments[2];
            rest = 3;
        }
        else
        {
            return nonResource;
        }

        var parts = segments[rest..].ToList();
        var watch = false;
        if (parts[0] == "watch")
        {
            watch = true;
            parts.RemoveAt(0);
            if (parts.Count == 0)
            {
                return nonResource;
            }
        }

        string? ns = null;
        if (parts[0] == "namespaces" && parts.Count >= 3 && !(group.Length == 0 && parts.Count == 3 && parts[2] is "status" or "finalize"))
        {
            ns = parts[1];
            parts.RemoveRange(0, 2);
        }
        else if (parts[0] == "namespaces" && parts.Count >= 2)
        {
            // The namespace object itself lives in its own namespace for authorization purposes.
            ns = parts[1];
        }

        var resource = parts[0];
        var name = parts.Count > 1 ? parts[1] : null;
        var subresource = parts.Count > 2 ? string.Join('/', parts.Skip(2)) : null;
        var watchParam = http.Request.Query["watch"].ToString() is "true" or "1" or "True";
        var verb = method switch
        {
            "GET" or "HEAD" when watch || watchParam => "watch",
            "GET" or "HEAD" => name is null ? "list" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name is null ? "deletecollection" : "delete",
            _ => method.ToLowerInvariant(),
        };
        return new SandboxRequest(method, path, query, verb, true, group, version, resource, subresource, ns, name, agent, null, contentType);
    }

    private async Task DispatchAsync(HttpContext http, SandboxRequest info, UserInfo user)
    {
        if (!info.IsResourceRequest)
        {
            await NonResourceAsync(http, info).ConfigureAwait(false);
            return;
        }

        var resource = Registry.Find(info.Group, info.Version, info.Resource);
        var namespaceItself = info.Group.Length == 0 && info.Resource == "namespaces";
        if (resource is null
            || (info.Namespace is not null && !resource.Info.Namespaced && !namespaceItself)
            || (info.Subresource is not null && !(info.Subresource == "status" && resource.Info.HasStatusSubresource)))
        {
            await WriteNotFoundPageAsync(http).ConfigureAwait(false);
            return;
        }

        if (resource.Info.Namespaced && info.Namespace is null && (info.Name is not null || info.Verb == "create"))
        {
            await WriteNotFoundPageAsync(http).ConfigureAwait(false);
            return;
        }

        if (!AcceptsJson(http.Request.Headers.Accept.ToString()))
        {
            throw ApiErrors.NotAcceptable();
        }

        var request = new ApiRequest
        {
            Http = http,
            Info = namespaceItself ? info with { Namespace = null } : info,
            User = user,
            Resource = resource,
        };
        if (resource.CreateOnly)
        {
            if (info.Verb != "create")
            {
                throw ApiErrors.MethodNotAllowed();
            }

            await ReviewAsync(request).ConfigureAwait(false);
            return;
        }

        switch (info.Verb)
        {
            case "get":
                await GetAsync(request).ConfigureAwait(false);
                break;
            case "list":
                await ListAsync(request).ConfigureAwait(false);
                break;
            case "watch":
                await WatchAsync(request).ConfigureAwait(false);
                break;
            case "create" when info.Name is null:
                await CreateAsync(request).ConfigureAwait(false);
                break;
            case "update" when info.Name is not null:
                await UpdateAsync(request).ConfigureAwait(false);
                break;
            case "patch" when info.Name is not null:
                await PatchAsync(request).ConfigureAwait(false);
                break;
            case "delete":
                await DeleteAsync(request).ConfigureAwait(false);
                break;
            case "deletecollection" when info.Subresource is null:
                await DeleteCollectionAsync(request).ConfigureAwait(false);
                break;
            default:
                throw ApiErrors.MethodNotAllowed();
        }
    }

    private async Task NonResourceAsync(HttpContext http, SandboxRequest info)
    {
        var path = info.Path.TrimEnd('/');
        if (info.Method is not ("GET" or "HEAD"))
        {
            await WriteNotFoundPageAsync(http).ConfigureAwait(false);
            return;
        }

        switch (path)
        {
            case "/version":
                await WriteJsonAsync(http, 200, VersionInfo()).ConfigureAwait(false);
                return;
            case "/api":
                await WriteJsonAsync(http, 200, Registry.ApiVersions(_serverAddress())).ConfigureAwait(false);
                return;
            case "/api/v1":
                await WriteJsonAsync(http, 200, Registry.ApiResourceList(string.Empty, "v1")!).ConfigureAwait(false);
                return;
            case "/apis":
                await WriteJsonAsync(http, 200, Registry.ApiGroupList()).ConfigureAwait(false);
                return;
            case "/healthz" or "/livez" or "/readyz":
                await WriteTextAsync(http, 200, "ok").ConfigureAwait(false);
                return;
            case "/openapi/v2":
                var (v2Type, v2Body) = _openApi.V2(http.Request.Headers.Accept.ToString());
                await WriteBytesAsync(http, 200, v2Type, v2Body).ConfigureAwait(false);
                return;
            case "/openapi/v3":
                await WriteJsonAsync(http, 200, _openApi.V3Root()).ConfigureAwait(false);
                return;
        }

        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal) && _openApi.V3Document(path["/openapi/v3/".Length..]) is { } document)
        {
            await WriteJsonAsync(http, 200, document).ConfigureAwait(false);
            return;
        }

        var segments = path.Trim('/').Split('/');
        if (segments.Length == 2 && segments[0] == "apis" && Registry.ApiGroup(segments[1]) is { } group)
        {
            await WriteJsonAsync(http, 200, group).ConfigureAwait(false);
            return;
        }

        if (segments.Length == 3 && segments[0] == "apis" && Registry.ApiResourceList(segments[1], segments[2]) is { } resources)
        {
            await WriteJsonAsync(http, 200, resources).ConfigureAwait(false);
            return;
        }

        await WriteNotFoundPageAsync(http).ConfigureAwait(false);
    }

    private JsonObject VersionInfo()
    {
        var version = _options.KubernetesVersion.TrimStart('v');
        var numbers = version.Split('.', '-', '+');
        return new JsonObject
        {
            ["major"] = numbers.Length > 0 ? numbers[0] : "1",
            ["minor"] = numbers.Length > 1 ? numbers[1] : "0",
            ["gitVersion"] = _options.KubernetesVersion,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "go1.22.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    private async Task GetAsync(ApiRequest request)
    {
        var key = SandboxCluster.Key(request.Resource, request.Namespace ?? string.Empty, request.Name!);
        var obj = request.Resource.Present(Store.Get(key) ?? throw ApiErrors.NotFound(request.Resource, request.Name!));
        if (WantsTable(request.Http))
        {
            var table = TableBuilder.Build(request.Resource, [obj], JsonUtil.GetString(obj, "metadata", "resourceVersion") ?? string.Empty, null, Time.GetUtcNow(), IncludeMode(request));
            await WriteJsonAsync(request.Http, 200, table).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(request.Http, 200, obj).ConfigureAwait(false);
    }

    private static ObjectFilter Filter(ApiRequest request) => new(
        request.Namespace,
        LabelSelector.Parse(request.Query("labelSelector")),
        FieldSelector.Parse(request.Query("fieldSelector"), ObjectFilter.SupportedFields(request.Resource.Group, request.Resource.Resource, request.Resource.Info.Namespaced)))
    {
        View = request.Resource.ConvertsFields ? stored => request.Resource.Present((JsonObject)stored.DeepClone()) : null,
    };

    private async Task ListAsync(ApiRequest request)
    {
        var resource = request.Resource;
        var resourceKey = resource.StorageKey;
        var filter = Filter(request);
        var rvText = request.Query("resourceVersion");
        var match = request.Query("resourceVersionMatch");
        var continueToken = request.Query("continue");
        var limit = ParseLimit(request.Query("limit"));
        List<JsonObject> items;
        long listRv;
        var paged = true;
        string? startAfter = null;

        if (!string.IsNullOrEmpty(continueToken))
        {
            if (!string.IsNullOrEmpty(rvText) && rvText != "0")
            {
                throw ApiErrors.BadRequest("specifying resource version is not allowed when using continue");
            }

            (listRv, startAfter) = DecodeContinue(continueToken);
            items = Store.ListAt(resourceKey, filter, listRv) ?? throw ApiErrors.Expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to get a list without consistency guarantees.");
        }
        else if (!string.IsNullOrEmpty(match))
        {
            if (string.IsNullOrEmpty(rvText))
            {
                throw ApiErrors.BadRequest($"resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
            }

            var rv = ParseRv(rvText);
            if (match == "Exact")
            {
                if (rv > Store.CurrentRv)
                {
                    throw ApiErrors.TooLargeResourceVersion(rv, Store.CurrentRv);
                }

                items = Store.ListAt(resourceKey, filter, rv) ?? throw ApiErrors.Expired("The resourceVersion for the provided list is too old.");
                listRv = rv;
            }
            else if (match == "NotOlderThan")
            {
                (items, listRv) = ListNotOlderThan(resourceKey, filter, rv, limit);
                paged = limit > 0 && rv != 0;
            }
            else
            {
                throw ApiErrors.BadRequest($"resourceVersionMatch: Unsupported value: \"{match}\": supported values: \"Exact\", \"NotOlderThan\"");
            }
        }
        else if (!string.IsNullOrEmpty(rvText))
        {
            var rv = ParseRv(rvText);
            (items, listRv) = ListNotOlderThan(resourceKey, filter, rv, limit);
            paged = limit > 0 && rv != 0;
        }
        else
        {
            (items, listRv) = Store.List(resourceKey, filter, sorted: true);
        }

        items = items.Select(resource.Present).ToList();
        if (startAfter is not null)
        {
            items = items.Where(o => string.CompareOrdinal(ItemKey(o), startAfter) > 0).ToList();
        }

        string? nextContinue = null;
        long? remaining = null;
        if (paged && limit > 0 && items.Count > limit)
        {
            var rest = items.Count - limit;
            items = items.Take(limit).ToList();
            nextContinue = EncodeContinue(listRv, ItemKey(items[^1]));
            if (filter.Labels.IsEmpty && filter.Fields.IsEmpty)
            {
                remaining = rest;
            }
        }

        var rvString = listRv.ToString(CultureInfo.InvariantCulture);
        if (WantsTable(request.Http))
        {
            await WriteJsonAsync(request.Http, 200, TableBuilder.Build(resource, items, rvString, nextContinue, Time.GetUtcNow(), IncludeMode(request))).ConfigureAwait(false);
            return;
        }

        var metadata = new JsonObject();
        if (resource.Info.IsCustomResource)
        {
            metadata["continue"] = nextContinue ?? string.Empty;
        }
        else if (nextContinue is not null)
        {
            metadata["continue"] = nextContinue;
        }

        if (remaining is not null)
        {
            metadata["remainingItemCount"] = remaining.Value;
        }

        metadata["resourceVersion"] = rvString;
        var array = new JsonArray();
        foreach (var item in items)
        {
            if (!resource.Info.IsCustomResource)
            {
                // Typed lists carry kind and apiVersion only on the list, not on the items.
                item.Remove("kind");
                item.Remove("apiVersion");
            }

            array.Add(item);
        }

        JsonObject list = resource.Info.IsCustomResource
            ? new JsonObject { ["apiVersion"] = resource.ApiVersion, ["items"] = array, ["kind"] = resource.ListKind, ["metadata"] = metadata }
            : new JsonObject { ["kind"] = resource.ListKind, ["apiVersion"] = resource.ApiVersion, ["metadata"] = metadata, ["items"] = array };
        await WriteJsonAsync(request.Http, 200, list).ConfigureAwait(false);
    }

    /// <summary>NotOlderThan semantics: the current state; from the watch cache (unsorted, unpaged) unless a limit asks for an etcd read.</summary>
    private (List<JsonObject> Items, long Rv) ListNotOlderThan(ResourceKey resource, ObjectFilter filter, long rv, int limit)
    {
        var current = Store.CurrentRv;
        if (rv > current)
        {
            throw ApiErrors.TooLargeResourceVersion(rv, current);
        }

        return Store.List(resource, filter, sorted: limit > 0 && rv != 0);
    }

    private static string ItemKey(JsonObject obj) =>
        $"{JsonUtil.GetString(obj, "metadata", "namespace") ?? string.Empty}/{JsonUtil.GetString(obj, "metadata", "name") ?? string.Empty}";

    private static string EncodeContinue(long rv, string lastKey)
    {
        var token = new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = rv, ["start"] = lastKey + "\u0000" };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(token.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static (long Rv, string StartAfter) DecodeContinue(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var json = JsonNode.Parse(Convert.FromBase64String(base64)) as JsonObject;
            var rv = JsonUtil.GetInt64(json, "rv");
            var start = JsonUtil.GetString(json, "start");
            if (JsonUtil.GetString(json, "v") != "meta.k8s.io/v1" || rv is null or <= 0 || start is null)
            {
                throw new FormatException("unexpected fields");
            }

            return (rv.Value, start.TrimEnd('\u0000'));
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            throw ApiErrors.BadRequest($"continue key is not valid: {ex.Message}");
        }
    }

    private static int ParseLimit(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) && limit > 0
            ? (int)Math.Min(limit, int.MaxValue)
            : 0;
    }

    private static long ParseRv(string text)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv))
        {
            throw ApiErrors.BadRequest($"resourceVersion: Invalid value: \"{text}\": must be a non-negative integer");
        }

        return rv;
    }

    /// <summary>The sandbox speaks JSON only: an Accept header that rules JSON out (protobuf or YAML only) gets 406.</summary>
    private static bool AcceptsJson(string accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return true;
        }

        foreach (var range in accept.Split(','))
        {
            var mediaType = range.Split(';')[0].Trim();
            if (mediaType is "*/*" or "application/*" or "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool WantsTable(HttpContext http) =>
        http.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    private static IncludeObject IncludeMode(ApiRequest request) => request.Query("includeObject") switch
    {
        "None" => IncludeObject.None,
        "Object" => IncludeObject.Object,
        _ => IncludeObject.Metadata,
    };

    internal static async Task WriteJsonAsync(HttpContext http, int status, JsonNode body, IReadOnlyDictionary<string, string>? headers = null)
    {
        var bytes = Encoding.UTF8.GetBytes(JsonUtil.Serialize(body));
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-cache, private";
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            http.Response.Headers[name] = value;
        }

        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteStatusAsync(HttpContext http, ApiException ex)
    {
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        return WriteJsonAsync(http, ex.Code, ex.Status, ex.Headers);
    }

    private static async Task WriteTextAsync(HttpContext http, int status, string text)
    {
        await WriteBytesAsync(http, status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text)).ConfigureAwait(false);
    }

    private static async Task WriteBytesAsync(HttpContext http, int status, string contentType, byte[] bytes)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The Go mux's answer for paths nothing serves (k8s-golden 68): not a Status.</summary>
    private static Task WriteNotFoundPageAsync(HttpContext http)
    {
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        return WriteTextAsync(http, 404, "404 page not found\n");
    }
}
