using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Json;
using KubeSandbox.Resources;
using KubeSandbox.Semantics;
using KubeSandbox.Storage;
using KubeSandbox.Tables;
using Microsoft.AspNetCore.Http;

namespace KubeSandbox.Http;

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
    private readonly ReviewResponder _reviews;

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
        _reviews = new ReviewResponder(authorizer, tokens, options.FieldManager);
    }

    private ObjectStore Store => _cluster.Store;

    private ResourceRegistry Registry => _cluster.Registry;

    private TimeProvider Time => _options.TimeProvider;

    public async Task HandleAsync(HttpContext http)
    {
        var request = Describe(http);
        var user = Authenticate(http);
        if (request.Path.StartsWith(AdminPrefix, StringComparison.Ordinal))
        {
            try
            {
                await AdminAsync(http, user).ConfigureAwait(false);
            }
            catch (ApiException ex)
            {
                await WriteStatusAsync(http, ex).ConfigureAwait(false);
            }
            catch (ArgumentOutOfRangeException ex)
            {
                await WriteStatusAsync(http, ApiErrors.BadRequest(ex.Message)).ConfigureAwait(false);
            }

            return;
        }

        var info = request with { User = user?.Name };
        if (_faults.ApiServerStopped)
        {
            // Down: the connection breaks before any response, as a client of a stopped server sees it.
            _log.Add(info);
            http.Abort();
            return;
        }

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
            || (info.Subresource is not null && !(info.Subresource == "status" && resource.Info.HasStatusSubresource) && !IsPodLog(info)))
        {
            await WriteNotFoundPageAsync(http).ConfigureAwait(false);
            return;
        }

        if (resource.Info.Namespaced && info.Namespace is null && (info.Name is not null || info.Verb == "create"))
        {
            await WriteNotFoundPageAsync(http).ConfigureAwait(false);
            return;
        }

        if (IsPodLog(info))
        {
            // Plain text from the kubelet, whatever the Accept header says.
            await PodLogAsync(new ApiRequest { Http = http, Info = info, User = user, Resource = resource }).ConfigureAwait(false);
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

        if (resource.Info.IsCustomResource && info.Verb is "list" or "watch")
        {
            // apiextensions-apiserver creates a custom resource's storage and watch cache on first use; a LIST or
            // WATCH waits for the cache, which lists etcd at the current revision.
            Store.StartWatchCache(resource.StorageKey);
        }

        try
        {
            await DispatchVerbAsync(request).ConfigureAwait(false);
        }
        finally
        {
            if (resource.Info.IsCustomResource)
            {
                // A write that was the first request is in the cache's initial list, not an event (k8s-golden 35).
                Store.StartWatchCache(resource.StorageKey);
            }
        }
    }

    private async Task DispatchVerbAsync(ApiRequest request)
    {
        var info = request.Info;
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

    private JsonObject VersionInfo() => (ServerVersion.Recorded with { GitVersion = _options.KubernetesVersion }).ToJson();

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

    private const string ContinueExpiredMessage =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, "
        + "or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an "
        + "inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    /// <summary>How long the watch cache waits to become as fresh as a requested resourceVersion (kube-apiserver's blockTimeout).</summary>
    internal static readonly TimeSpan WatchCacheFreshnessTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// LIST as kube-apiserver v1.24 serves it (the Cacher's <c>shouldDelegateList</c> and the etcd3 store's
    /// <c>GetList</c>; the table is in tests/KubeSandbox/README.md): from "etcd" (sorted by key, paged by <c>limit</c>,
    /// at the current revision or exactly at the requested one) when the resourceVersion is empty, a continue token is
    /// given, <c>resourceVersionMatch=Exact</c>, or a <c>limit</c> comes with a non-zero resourceVersion (without a
    /// match that is the legacy Exact read: k8s-golden 83, 89, 92); otherwise from the watch cache (creation order,
    /// <c>limit</c> ignored, the cache's resourceVersion: 82, 85, 86, 93, 95).
    /// </summary>
    private async Task ListAsync(ApiRequest request)
    {
        var resource = request.Resource;
        var resourceKey = resource.StorageKey;
        var filter = Filter(request);
        var rvText = request.Query("resourceVersion") ?? string.Empty;
        var match = request.Query("resourceVersionMatch") ?? string.Empty;
        var continueToken = request.Query("continue") ?? string.Empty;
        var limit = ParseLimit(request.Query("limit"));
        ValidateListOptions(rvText, match, continueToken, watch: false);

        List<JsonObject> items;
        long listRv;
        var paged = true;
        string? startAfter = null;
        if (continueToken.Length > 0)
        {
            if (rvText.Length > 0 && rvText != "0")
            {
                throw ApiErrors.BadRequest("specifying resource version is not allowed when using continue");
            }

            (var tokenRv, startAfter) = DecodeContinue(continueToken);

            // A positive RV pins the snapshot of the first page; -1 (handed out with a 410) continues at the latest.
            var read = Store.ReadAt(resourceKey, filter, tokenRv > 0 ? tokenRv : 0);
            if (read.Error != ReadAtError.None)
            {
                var expired = ApiErrors.Status(410, "Expired", ContinueExpiredMessage, null);
                expired["metadata"] = new JsonObject { ["continue"] = EncodeContinue(-1, startAfter) };
                throw new ApiException(410, expired);
            }

            (items, listRv) = (read.Items, read.Rv);
        }
        else if (rvText.Length == 0)
        {
            // A consistent read: etcd at its current revision.
            (items, listRv) = Store.List(resourceKey, filter, sorted: true);
        }
        else
        {
            var rv = ParseRv(rvText);
            var fromStorage = match == "Exact" || (limit > 0 && rv != 0);
            if (fromStorage && (match == "Exact" || match.Length == 0))
            {
                // Exact, or the legacy reading of limit + resourceVersion: etcd at exactly that revision.
                var read = Store.ReadAt(resourceKey, filter, rv);
                switch (read.Error)
                {
                    case ReadAtError.Compacted:
                        throw ApiErrors.Expired("The resourceVersion for the provided list is too old.");
                    case ReadAtError.Future:
                        throw ApiErrors.TooLargeResourceVersion(rv, read.Rv);
                }

                (items, listRv) = (read.Items, read.Rv);
            }
            else if (fromStorage)
            {
                // NotOlderThan with a limit: etcd at its current revision, which must not be older than asked.
                (items, listRv) = Store.List(resourceKey, filter, sorted: true);
                if (rv > listRv)
                {
                    throw ApiErrors.TooLargeResourceVersion(rv, listRv, retryAfterSeconds: 0);
                }
            }
            else
            {
                // The watch cache: at least as fresh as asked (it waits a little for that), whatever the limit.
                if (rv != 0)
                {
                    await WaitForFreshWatchCacheAsync(resourceKey, rv, request.Aborted).ConfigureAwait(false);
                }

                (items, listRv) = Store.List(resourceKey, filter, sorted: false);
                paged = false;
            }
        }

        items = items.Select(resource.Present).ToList();
        if (startAfter is not null)
        {
            items = items.Where(o => string.CompareOrdinal(ContinueKey(request, o), startAfter) > 0).ToList();
        }

        string? nextContinue = null;
        long? remaining = null;
        if (paged && limit > 0 && items.Count > limit)
        {
            var rest = items.Count - limit;
            items = items.Take(limit).ToList();
            nextContinue = EncodeContinue(listRv, ContinueKey(request, items[^1]));
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

    /// <summary>
    /// kube-apiserver's ValidateListOptions (422 Invalid on <c>ListOptions.meta.k8s.io</c>), which LIST and WATCH share.
    /// </summary>
    private static void ValidateListOptions(string rvText, string match, string continueToken, bool watch)
    {
        if (match.Length == 0)
        {
            return;
        }

        const string field = "resourceVersionMatch";
        var causes = new List<FieldError>();
        if (watch)
        {
            causes.Add(FieldErrors.Forbidden(field, "resourceVersionMatch is forbidden for watch"));
        }

        if (rvText.Length == 0)
        {
            causes.Add(FieldErrors.Forbidden(field, "resourceVersionMatch is forbidden unless resourceVersion is provided"));
        }

        if (continueToken.Length > 0)
        {
            causes.Add(FieldErrors.Forbidden(field, "resourceVersionMatch is forbidden when continue is provided"));
        }

        if (match is not ("Exact" or "NotOlderThan"))
        {
            causes.Add(FieldErrors.NotSupported(field, JsonValue.Create(match), ["Exact", "NotOlderThan", string.Empty]));
        }

        if (match == "Exact" && rvText == "0")
        {
            causes.Add(FieldErrors.Forbidden(field, "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
        }

        if (causes.Count > 0)
        {
            var status = ApiStatus.Invalid("ListOptions", "meta.k8s.io", string.Empty, causes);
            ((JsonObject)status["details"]!).Remove("name");
            throw new ApiException(422, status);
        }
    }

    /// <summary>
    /// The watch cache serves a resourceVersion only once it has seen it: it waits up to 3 s (on the sandbox's clock)
    /// for an event of the resource to bring it there, then answers 504 "Too large resource version" (v1.24 has no
    /// progress requests, so a resourceVersion read from etcd or from another resource can time out this way).
    /// </summary>
    private async Task WaitForFreshWatchCacheAsync(ResourceKey resource, long rv, CancellationToken cancellationToken)
    {
        // The timer is armed before the wait is registered: a test that sees the wait can move the clock.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(WatchCacheFreshnessTimeout, Time, timeout.Token);
        var fresh = Store.WaitForCacheRv(resource, rv);
        if (!fresh.IsCompleted)
        {
            await Task.WhenAny(fresh, delay).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        await timeout.CancelAsync().ConfigureAwait(false);
        Store.ForgetCacheWait(resource, fresh);

        var (_, _, cacheRv) = Store.WatchCacheState(resource);
        if (cacheRv < rv)
        {
            throw ApiErrors.TooLargeResourceVersion(rv, cacheRv);
        }
    }

    /// <summary>The item's etcd key below the request's key prefix: the name in a namespace, else namespace/name.</summary>
    private static string ContinueKey(ApiRequest request, JsonObject obj)
    {
        var name = JsonUtil.GetString(obj, "metadata", "name") ?? string.Empty;
        var ns = JsonUtil.GetString(obj, "metadata", "namespace") ?? string.Empty;
        return request.Namespace is null ? ObjectStore.StorageKey(ns, name) : name;
    }

    /// <summary>storage.EncodeContinue: base64url (unpadded) JSON of the API version, the RV and the key to start from.</summary>
    private static string EncodeContinue(long rv, string lastKey)
    {
        var token = new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = rv, ["start"] = lastKey + "\u0000" };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(token.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>storage.DecodeContinue, with its errors worded as the etcd3 store returns them (400).</summary>
    private static (long Rv, string StartAfter) DecodeContinue(string token)
    {
        static ApiException Invalid(string detail) => ApiErrors.BadRequest($"invalid continue token: continue key is not valid: {detail}");

        JsonObject? json;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            json = JsonNode.Parse(Convert.FromBase64String(base64)) as JsonObject;
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            throw Invalid(ex.Message);
        }

        var version = JsonUtil.GetString(json, "v");
        if (version != "meta.k8s.io/v1")
        {
            throw Invalid($"server does not recognize this encoded version \"{version}\"");
        }

        var rv = JsonUtil.GetInt64(json, "rv") ?? 0;
        if (rv == 0)
        {
            throw Invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }

        var start = JsonUtil.GetString(json, "start");
        if (string.IsNullOrEmpty(start))
        {
            throw Invalid("encoded start key empty (version meta.k8s.io/v1)");
        }

        return (rv, start.TrimEnd('\u0000'));
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
