using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Authentication;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

/// <summary>A page of a LIST: the items, the collection's resourceVersion and the continue token.</summary>
public sealed record KubeList<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue, long? RemainingItemCount);

public enum WatchEventType
{
    Added,
    Modified,
    Deleted,

    /// <summary>Only <c>metadata.resourceVersion</c> is set: progress, no change.</summary>
    Bookmark,

    /// <summary>The server ended the watch with a Status (e.g. 410 Expired: re-list).</summary>
    Error,
}

/// <summary>One watch event: the object for ADDED/MODIFIED/DELETED/BOOKMARK, the Status for ERROR.</summary>
public sealed record WatchEvent<T>(WatchEventType Type, T? Object, V1Status? Status)
    where T : class;

/// <summary>
/// Typed REST for any resource described by a <see cref="ResourceType{T}"/>, on the shared <see cref="Kubernetes"/>
/// client's <see cref="HttpClient"/> and credentials. Every response and stream is disposed; every call is cancellable.
/// Failures are <see cref="KubeApiException"/> carrying the HTTP status and the decoded <see cref="V1Status"/>.
/// </summary>
public sealed class KubeApiClient
{
    private const string JsonMediaType = "application/json";
    private const int MaxErrorBodyChars = 64 * 1024;

    private readonly HttpClient http;
    private readonly string baseUrl;
    private readonly string host;
    private readonly ServiceClientCredentials? credentials;
    private readonly RuntimeMetrics? metrics;

    public KubeApiClient(Kubernetes kubernetes, RuntimeMetrics? metrics = null, TimeSpan? requestTimeout = null)
        : this(kubernetes.HttpClient, kubernetes.BaseUri, kubernetes.Credentials, metrics, requestTimeout)
    {
    }

    public KubeApiClient(HttpClient http, Uri baseUri, ServiceClientCredentials? credentials, RuntimeMetrics? metrics = null, TimeSpan? requestTimeout = null)
    {
        RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(60);
        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(requestTimeout), "the request timeout must be positive");
        }

        this.http = http;
        this.credentials = credentials;
        this.metrics = metrics;
        baseUrl = baseUri.AbsoluteUri.TrimEnd('/');
        host = baseUri.Authority;
    }

    /// <summary>
    /// Deadline of every non-streaming request, body included (KubernetesClient's HttpClient has none): a stuck
    /// server becomes a <see cref="TimeoutException"/> instead of a hung reconcile. A watch is bounded only until its
    /// response headers arrive; after that its server-side timeout and the informer's stall guard apply.
    /// </summary>
    public TimeSpan RequestTimeout { get; }

    /// <summary>GET one object; null when it does not exist (404).</summary>
    public Task<T?> GetAsync<T>(ResourceType<T> type, string name, string? namespaceName = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        WithDeadlineAsync("GET", type.ItemPath(name, namespaceName), token => GetCoreAsync(type, name, namespaceName, token), cancellationToken);

    private async Task<T?> GetCoreAsync<T>(ResourceType<T> type, string name, string? namespaceName, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = type.ItemPath(name, namespaceName);
        using var response = await SendAsync(HttpMethod.Get, path, null, null, HttpCompletionOption.ResponseContentRead, allowNotFound: true, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return await ReadAsync(response, type.TypeInfo, "GET", path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// GET of a non-resource path such as <c>/version</c> or a discovery document; null on 404.
    /// </summary>
    public Task<T?> GetPathAsync<T>(string path, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
        where T : class =>
        WithDeadlineAsync("GET", path, async token =>
        {
            using var response = await SendAsync(HttpMethod.Get, path, null, null, HttpCompletionOption.ResponseContentRead, allowNotFound: true, token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            return await ReadAsync(response, typeInfo, "GET", path, token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// The last <paramref name="tailLines"/> lines of a container's log (<c>pods/log</c>), at most
    /// <paramref name="limitBytes"/>; null when the pod or its previous instance does not exist.
    /// </summary>
    public Task<string?> GetPodLogAsync(string namespaceName, string podName, string container, bool previous, int tailLines, int limitBytes, CancellationToken cancellationToken = default)
    {
        var path = KubeResources.Pods.ItemPath(podName, namespaceName) + "/log";
        var query = new QueryBuilder()
            .Add("container", container)
            .Add("previous", previous ? "true" : null)
            .Add("tailLines", tailLines.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("limitBytes", limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return WithDeadlineAsync<string?>("GET", path, async token =>
        {
            using var response = await SendAsync(HttpMethod.Get, path, query, null, HttpCompletionOption.ResponseContentRead, allowNotFound: true, token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            var text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            return text.Length > limitBytes ? text[..limitBytes] : text;
        }, cancellationToken);
    }

    /// <summary>One LIST request (one page when <see cref="ListOptions.Limit"/> is set).</summary>
    public Task<KubeList<T>> ListAsync<T>(ResourceType<T> type, string? namespaceName = null, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        ListAsync(type, namespaceName, options, null, cancellationToken);

    /// <summary>
    /// One LIST request read from the stream one item at a time (<see cref="ListStreamReader"/>), each item passed to
    /// <paramref name="transform"/> as it is read: the whole response never exists in memory as one document.
    /// </summary>
    public Task<KubeList<T>> ListAsync<T>(ResourceType<T> type, string? namespaceName, ListOptions? options, Action<T>? transform, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        WithDeadlineAsync("GET", type.CollectionPath(namespaceName), token => ListCoreAsync(type, namespaceName, options, transform, token), cancellationToken);

    private async Task<KubeList<T>> ListCoreAsync<T>(ResourceType<T> type, string? namespaceName, ListOptions? options, Action<T>? transform, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        options ??= new ListOptions();
        var path = type.CollectionPath(namespaceName);
        var query = new QueryBuilder()
            .Add("labelSelector", options.LabelSelector)
            .Add("fieldSelector", options.FieldSelector)
            .Add("limit", options.Limit is > 0 ? options.Limit.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : null)
            .Add("continue", options.Continue)
            .Add("resourceVersion", options.ResourceVersion)
            .Add("resourceVersionMatch", string.IsNullOrEmpty(options.ResourceVersion) ? null : options.ResourceVersionMatch)
            .Add("timeoutSeconds", options.TimeoutSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await SendAsync(HttpMethod.Get, path, query, null, HttpCompletionOption.ResponseHeadersRead, allowNotFound: false, cancellationToken).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await ListStreamReader.ReadAsync(stream, type, path, transform, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// LISTs every page (following <c>continue</c>) into one list whose resourceVersion is the snapshot's. When a
    /// continue token expires mid-way (410, k8s-golden 88), the list starts again from the first page; after
    /// <see cref="MaxPagedListRestarts"/> such restarts it is read in one request without paging, as client-go's pager
    /// falls back to a full list, so a server that compacts faster than we page still ends.
    /// </summary>
    public Task<KubeList<T>> ListAllAsync<T>(ResourceType<T> type, string? namespaceName = null, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        ListAllAsync(type, namespaceName, options, null, cancellationToken);

    /// <summary>
    /// <see cref="ListAllAsync{T}(ResourceType{T}, string?, ListOptions?, CancellationToken)"/> with
    /// <paramref name="transform"/> applied to each item as it is read (an informer's transform): full objects never
    /// pile up, a 5,000-pod LIST leaves only transformed objects behind.
    /// </summary>
    public async Task<KubeList<T>> ListAllAsync<T>(ResourceType<T> type, string? namespaceName, ListOptions? options, Action<T>? transform, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        options ??= new ListOptions { Limit = 500 };
        var restarts = 0;
        while (true)
        {
            var items = new List<T>();
            string? resourceVersion = null;
            var page = options with { Continue = null };
            var expired = false;
            while (!expired)
            {
                KubeList<T> result;
                try
                {
                    result = await ListAsync(type, namespaceName, page, transform, cancellationToken).ConfigureAwait(false);
                }
                catch (KubeApiException e) when (e.IsGone && page.Continue is not null)
                {
                    expired = true;
                    continue;
                }

                items.AddRange(result.Items);
                resourceVersion ??= result.ResourceVersion;
                if (string.IsNullOrEmpty(result.Continue))
                {
                    return new KubeList<T>(items, resourceVersion, null, null);
                }

                // Later pages are served from the snapshot the continue token pins; resourceVersion must not be repeated.
                page = options with { Continue = result.Continue, ResourceVersion = null, ResourceVersionMatch = null };
            }

            if (++restarts > MaxPagedListRestarts)
            {
                return await ListAsync(type, namespaceName, options with { Limit = null, Continue = null }, transform, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How often <see cref="ListAllAsync"/> restarts a paged list whose continue token expired before it reads it whole.</summary>
    public const int MaxPagedListRestarts = 2;

    /// <summary>
    /// WATCH: the events as the server streams them, BOOKMARK and ERROR included (an ERROR is yielded, not thrown: a
    /// 410 Status there means "re-list"). Ends when the server closes the stream. An HTTP error status (e.g. 410 for a
    /// too-old resourceVersion on some servers) is thrown as <see cref="KubeApiException"/>.
    /// </summary>
    /// <param name="opened">Called once the server accepted the watch (response headers), before any event.</param>
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceType<T> type, string? namespaceName, WatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default, Action? opened = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = type.CollectionPath(namespaceName);
        var query = new QueryBuilder()
            .Add("watch", "true")
            .Add("labelSelector", options.LabelSelector)
            .Add("fieldSelector", options.FieldSelector)
            .Add("resourceVersion", options.ResourceVersion)
            .Add("allowWatchBookmarks", options.AllowWatchBookmarks ? "true" : null)
            .Add("timeoutSeconds", options.TimeoutSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await WithDeadlineAsync("GET", path, token => SendAsync(HttpMethod.Get, path, query, null, HttpCompletionOption.ResponseHeadersRead, allowNotFound: false, token), cancellationToken).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        opened?.Invoke();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                yield break;
            }

            if (line.Length == 0)
            {
                continue;
            }

            yield return ParseWatchEvent(line, type, path);
        }
    }

    /// <summary>POST; the namespace is taken from the object's metadata.</summary>
    public Task<T> CreateAsync<T>(ResourceType<T> type, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = type.CollectionPath(NamespaceOf(type, obj));
        return WriteAsync(HttpMethod.Post, path, type, Serialize(obj, type.TypeInfo), options, null, cancellationToken);
    }

    /// <summary>PUT the whole object; its metadata.resourceVersion makes it conditional (409 Conflict when stale).</summary>
    public Task<T> UpdateAsync<T>(ResourceType<T> type, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = type.ItemPath(NameOf(obj), NamespaceOf(type, obj));
        return WriteAsync(HttpMethod.Put, path, type, Serialize(obj, type.TypeInfo), options, null, cancellationToken);
    }

    /// <summary>PUT to the status subresource.</summary>
    public Task<T> UpdateStatusAsync<T>(ResourceType<T> type, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = type.ItemPath(NameOf(obj), NamespaceOf(type, obj)) + "/status";
        return WriteAsync(HttpMethod.Put, path, type, Serialize(obj, type.TypeInfo), options, null, cancellationToken);
    }

    public Task<T> PatchAsync<T>(ResourceType<T> type, string name, string? namespaceName, KubePatch patch, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = type.ItemPath(name, namespaceName);
        return WriteAsync(HttpMethod.Patch, path, type, patch.ToContent(), options, patch, cancellationToken);
    }

    public Task<T> PatchStatusAsync<T>(ResourceType<T> type, string name, string? namespaceName, KubePatch patch, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = type.ItemPath(name, namespaceName) + "/status";
        return WriteAsync(HttpMethod.Patch, path, type, patch.ToContent(), options, patch, cancellationToken);
    }

    /// <summary>DELETE; false when the object did not exist (404).</summary>
    public Task<bool> DeleteAsync<T>(ResourceType<T> type, string name, string? namespaceName = null, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        WithDeadlineAsync("DELETE", type.ItemPath(name, namespaceName), token => DeleteCoreAsync(type, name, namespaceName, options, token), cancellationToken);

    private async Task<bool> DeleteCoreAsync<T>(ResourceType<T> type, string name, string? namespaceName, DeleteOptions? options, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = type.ItemPath(name, namespaceName);
        var query = new QueryBuilder().Add("dryRun", options?.DryRun == true ? "All" : null);
        var body = options is null ? null : Serialize(options.ToModel(), KubeJson.TypeInfo<V1DeleteOptions>());
        using var response = await SendAsync(HttpMethod.Delete, path, query, body, HttpCompletionOption.ResponseContentRead, allowNotFound: true, cancellationToken).ConfigureAwait(false);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    private Task<T> WriteAsync<T>(HttpMethod method, string path, ResourceType<T> type, HttpContent content, WriteOptions? options, KubePatch? patch, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        WithDeadlineAsync(method.Method, path, token => WriteCoreAsync(method, path, type, content, options, patch, token), cancellationToken);

    private async Task<TResult> WithDeadlineAsync<TResult>(string verb, string path, Func<CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(RequestTimeout);
        try
        {
            return await operation(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{verb} {path}: no complete response within {RequestTimeout.TotalSeconds:0.###}s", e);
        }
    }

    private async Task<T> WriteCoreAsync<T>(HttpMethod method, string path, ResourceType<T> type, HttpContent content, WriteOptions? options, KubePatch? patch, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        options ??= WriteOptions.Default;
        if (patch is { IsApply: true } && string.IsNullOrEmpty(options.FieldManager))
        {
            content.Dispose();
            throw new ArgumentException("server-side apply needs a field manager (WriteOptions.FieldManager)", nameof(options));
        }

        var query = new QueryBuilder()
            .Add("dryRun", options.DryRun ? "All" : null)
            .Add("fieldManager", options.FieldManager)
            .Add("fieldValidation", options.FieldValidation)
            .Add("force", patch is { IsApply: true, Force: true } ? "true" : null);
        using var response = await SendAsync(method, path, query, content, HttpCompletionOption.ResponseContentRead, allowNotFound: false, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, type.TypeInfo, method.Method, path, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, QueryBuilder? query, HttpContent? content, HttpCompletionOption completion, bool allowNotFound, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, baseUrl + path + (query?.ToString() ?? ""));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonMediaType));
        request.Content = content;
        if (credentials is not null)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            metrics?.RestClientRequests.Inc("<error>", method.Method, host);
            throw;
        }

        metrics?.RestClientRequests.Inc(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), method.Method, host);
        if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound && await IsNotFoundStatusAsync(response, cancellationToken).ConfigureAwait(false)))
        {
            return response;
        }

        using (response)
        {
            throw await ToExceptionAsync(response, method.Method, path, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A 404 means "no such object" only when the server says so with a Status; a text/plain "404 page not found"
    /// means the resource type itself is not served (e.g. the CRD is missing), which must not read as "absent".
    /// </summary>
    private static async Task<bool> IsNotFoundStatusAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return TryParseStatus(body) is { Reason: "NotFound" };
    }

    private static async Task<KubeApiException> ToExceptionAsync(HttpResponseMessage response, string verb, string path, CancellationToken cancellationToken)
    {
        string body;
        try
        {
            body = await ReadBoundedAsync(response.Content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            body = "";
        }

        TimeSpan? retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - (response.Headers.Date ?? date),
            _ => null,
        };
        return new KubeApiException(verb, path, response.StatusCode, TryParseStatus(body), body, retryAfter);
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[MaxErrorBodyChars];
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return new string(buffer, 0, read);
    }

    internal static V1Status? TryParseStatus(string body)
    {
        if (!body.TrimStart().StartsWith('{'))
        {
            return null;
        }

        try
        {
            var status = JsonSerializer.Deserialize(body, KubeJson.TypeInfo<V1Status>());
            return status is { Kind: "Status" } ? status : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, string verb, string path, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"{verb} {path}: the response body is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{verb} {path}: the response is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }

    internal static WatchEvent<T> ParseWatchEvent<T>(string line, ResourceType<T> type, string path)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var typeName = root.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (!root.TryGetProperty("object", out var obj))
            {
                throw new InvalidDataException($"watch {path}: event without object: {Abbreviate(line)}");
            }

            var eventType = typeName switch
            {
                "ADDED" => WatchEventType.Added,
                "MODIFIED" => WatchEventType.Modified,
                "DELETED" => WatchEventType.Deleted,
                "BOOKMARK" => WatchEventType.Bookmark,
                "ERROR" => WatchEventType.Error,
                _ => throw new InvalidDataException($"watch {path}: unknown event type \"{typeName}\""),
            };
            if (eventType == WatchEventType.Error)
            {
                return new WatchEvent<T>(eventType, null, obj.Deserialize(KubeJson.TypeInfo<V1Status>()));
            }

            return new WatchEvent<T>(eventType, obj.Deserialize(type.TypeInfo) ?? throw new InvalidDataException($"watch {path}: null object"), null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // JsonElement.GetString throws InvalidOperationException on a non-string "type" or an escape that is
            // not valid UTF-16; both are a malformed event like any other.
            throw new InvalidDataException($"watch {path}: malformed event: {e.Message}: {Abbreviate(line)}", e);
        }
    }

    private static string Abbreviate(string text) => text.Length <= 256 ? text : text[..256] + "…";

    private static HttpContent Serialize<TValue>(TValue value, JsonTypeInfo<TValue> typeInfo)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        content.Headers.ContentType = new MediaTypeHeaderValue(JsonMediaType);
        return content;
    }

    private static string NameOf<T>(T obj)
        where T : IKubernetesObject<V1ObjectMeta> =>
        obj.Metadata?.Name is { Length: > 0 } name ? name : throw new ArgumentException("the object has no metadata.name", nameof(obj));

    private static string? NamespaceOf<T>(ResourceType<T> type, T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (!type.Namespaced)
        {
            return null;
        }

        return obj.Metadata?.NamespaceProperty is { Length: > 0 } ns
            ? ns
            : throw new ArgumentException($"{type.GroupResource} is namespaced: the object has no metadata.namespace", nameof(obj));
    }

    private sealed class QueryBuilder
    {
        private readonly StringBuilder builder = new();

        public QueryBuilder Add(string name, string? value)
        {
            if (value is null)
            {
                return this;
            }

            builder.Append(builder.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            return this;
        }

        public override string ToString() => builder.ToString();
    }
}
