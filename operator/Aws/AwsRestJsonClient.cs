using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace GuardDutyCoverage.Aws;

/// <summary>How to reach one service in one region.</summary>
public sealed record AwsServiceEndpoint(AwsService Service, string Region, Uri BaseUri);

/// <summary>
/// The rest-json transport shared by the GuardDuty and EKS clients: builds the request per the model's HTTP binding,
/// signs it (SigV4), sends it with retries and per-attempt timeouts, and decodes errors exactly as botocore's
/// RestJSONParser does (x-amzn-ErrorType, then body code/Code, then __type; cut at ':' and after '#').
/// </summary>
public sealed class AwsRestJsonClient(
    HttpClient http,
    AwsServiceEndpoint endpoint,
    AwsCredentialsSource credentials,
    AwsRetryPolicy retry,
    TimeProvider time)
{
    /// <summary>guardduty-coverage/&lt;version&gt;: AWS request logs (CloudTrail userAgent) show which build called.</summary>
    public static readonly string UserAgent = "guardduty-coverage/" + Util.BuildInfo.Current.Version;

    public AwsServiceEndpoint Endpoint => endpoint;

    /// <param name="operation">The model's operation name, for errors.</param>
    /// <param name="path">The request path, its segments already encoded (see <see cref="PathSegment"/>).</param>
    /// <param name="query">Query members in order; lists are repeated keys.</param>
    /// <param name="body">The JSON body, or null for none (GET operations).</param>
    public Task<TResponse> SendAsync<TResponse>(
        string operation,
        HttpMethod method,
        string path,
        IReadOnlyList<KeyValuePair<string, string>> query,
        byte[]? body,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken) =>
        SendAsync(operation, method, path, query, body, responseType, cancellationToken, null);

    /// <summary>What differs for the json protocol: the target header and the content type.</summary>
    private sealed record JsonProtocol(string Target)
    {
        public const string ContentType = "application/x-amz-json-1.1";
    }

    private async Task<TResponse> SendAsync<TResponse>(
        string operation,
        HttpMethod method,
        string path,
        IReadOnlyList<KeyValuePair<string, string>> query,
        byte[]? body,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken,
        JsonProtocol? json)
    {
        var uri = BuildUri(path, query);
        for (var attempt = 1; ; attempt++)
        {
            AwsServiceException failure;
            using (var attemptTimeout = new CancellationTokenSource(retry.AttemptTimeout, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attemptTimeout.Token))
            {
                try
                {
                    return await SendOnceAsync(operation, method, uri, body, responseType, json, linked.Token).ConfigureAwait(false);
                }
                catch (AwsServiceException e) when (retry.IsRetryable(e.ErrorCode, e.StatusCode))
                {
                    failure = e;
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new AwsServiceException(
                        endpoint.Service.Id, operation, AwsServiceException.LocalCodes.Timeout,
                        $"no response from {endpoint.BaseUri.Authority} within {retry.AttemptTimeout.TotalSeconds:0.###}s", null, null, e);
                }
                catch (HttpRequestException e)
                {
                    failure = new AwsServiceException(
                        endpoint.Service.Id, operation, AwsServiceException.LocalCodes.NetworkError,
                        $"{e.Message} ({endpoint.BaseUri.Authority})", null, null, e);
                }
            }

            if (attempt >= retry.MaxAttempts)
            {
                throw attempt == 1
                    ? failure
                    : new AwsServiceException(
                        failure.Service, failure.Operation, failure.ErrorCode,
                        $"{failure.ErrorMessage} (after {attempt} attempts)", failure.StatusCode, failure.RequestId, failure);
            }

            var wait = retry.Backoff(attempt + 1);
            await (retry.Delay ?? DelayOnClock)(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A json 1.1 operation (EventBridge): POST / with <c>X-Amz-Target: {targetPrefix}.{operation}</c> and
    /// <c>application/x-amz-json-1.1</c>, as botocore's JSONSerializer sends it; same signing, retries and errors.
    /// </summary>
    public Task<TResponse> SendJsonAsync<TResponse>(string operation, string targetPrefix, byte[] body, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken) =>
        SendAsync(operation, HttpMethod.Post, "/", [], body, responseType, cancellationToken, new JsonProtocol($"{targetPrefix}.{operation}"));

    /// <summary>One path segment, URI-encoded (RFC 3986) as botocore does for uri members.</summary>
    public static string PathSegment(string value) => SigV4Signer.UriEncode(value, keepSlash: false);

    private Task DelayOnClock(TimeSpan wait, CancellationToken cancellationToken) => Task.Delay(wait, time, cancellationToken);

    private Uri BuildUri(string path, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        var builder = new StringBuilder(endpoint.BaseUri.GetLeftPart(UriPartial.Authority));
        builder.Append(endpoint.BaseUri.AbsolutePath.TrimEnd('/'));
        builder.Append(path);
        for (var i = 0; i < query.Count; i++)
        {
            builder.Append(i == 0 ? '?' : '&')
                .Append(SigV4Signer.UriEncode(query[i].Key, keepSlash: false))
                .Append('=')
                .Append(SigV4Signer.UriEncode(query[i].Value, keepSlash: false));
        }

        return new Uri(builder.ToString());
    }

    private async Task<TResponse> SendOnceAsync<TResponse>(
        string operation, HttpMethod method, Uri uri, byte[]? body, JsonTypeInfo<TResponse> responseType, JsonProtocol? json, CancellationToken cancellationToken)
    {
        var values = await credentials.GetAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.UserAgent.ParseAdd(UserAgent);
        if (json is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", json.Target);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", json is null ? "application/json" : JsonProtocol.ContentType);
        }

        SigV4Signer.Sign(request, body ?? [], values, endpoint.Region, endpoint.Service.SigningName, time.GetUtcNow());
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var requestId = Header(response, "x-amzn-RequestId") ?? Header(response, "x-amz-request-id");
        if (!response.IsSuccessStatusCode)
        {
            throw DecodeError(operation, response, content, requestId);
        }

        try
        {
            return (content.Length == 0 ? default : JsonSerializer.Deserialize(content, responseType))
                ?? throw new JsonException("the response body is empty or null");
        }
        catch (JsonException e)
        {
            throw new AwsServiceException(
                endpoint.Service.Id, operation, AwsServiceException.LocalCodes.InvalidResponse,
                $"cannot read the response: {e.Message}", response.StatusCode, requestId, e);
        }
    }

    private AwsServiceException DecodeError(string operation, HttpResponseMessage response, byte[] content, string? requestId)
    {
        var (code, message) = ParseError(Header(response, "x-amzn-ErrorType"), content);
        if (string.IsNullOrWhiteSpace(code))
        {
            // No (or an empty) error type: the status code stands in, so every error has a code to act on.
            code = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            message = response.ReasonPhrase;
        }
        return new AwsServiceException(endpoint.Service.Id, operation, code, message, response.StatusCode, requestId);
    }

    /// <summary>botocore's rest-json error decoding. Returns a sanitized code (or null when none is given) and the message.</summary>
    public static (string? Code, string? Message) ParseError(string? errorTypeHeader, ReadOnlySpan<byte> body)
    {
        string? code = errorTypeHeader;
        string? message = null;
        if (!body.IsEmpty)
        {
            try
            {
                using var document = JsonDocument.Parse(body.ToArray());
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    var root = document.RootElement;
                    code ??= StringMember(root, "code") ?? StringMember(root, "Code") ?? StringMember(root, "__type");
                    message = StringMember(root, "message") ?? StringMember(root, "Message");
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // A non-JSON error body (a proxy's HTML page, say) carries no code; the status code stands in.
                // JsonElement.GetString throws InvalidOperationException, not JsonException, on an escape that
                // is not valid UTF-16 (a lone surrogate): the same unreadable body.
            }
        }

        return (code is null ? null : Sanitize(code), message);
    }

    private static string Sanitize(string code)
    {
        var colon = code.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            code = code[..colon];
        }

        var hash = code.LastIndexOf('#');
        return (hash >= 0 ? code[(hash + 1)..] : code).Trim();
    }

    private static string? StringMember(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
