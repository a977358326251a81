using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace GuardDutyCoverage.Aws;

/// <summary>One set of AWS credentials; <see cref="SessionToken"/> is set for temporary (IRSA, Pod Identity, instance role) ones.</summary>
public sealed record AwsCredentialValues(string AccessKeyId, string SecretAccessKey, string? SessionToken = null)
{
    public override string ToString() => $"AwsCredentialValues {{ AccessKeyId = {AccessKeyId}, SecretAccessKey = ***, SessionToken = {(SessionToken is null ? "none" : "***")} }}";
}

/// <summary>
/// AWS Signature Version 4 for rest-json and json requests, as botocore's SigV4Auth computes it: signs host, x-amz-date,
/// x-amz-security-token, content-type and x-amz-target; the canonical URI is the (already encoded) path encoded once more; the
/// canonical query is the encoded pairs sorted by key, then value.
/// </summary>
public static class SigV4Signer
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>Adds X-Amz-Date, X-Amz-Security-Token, Host and Authorization to the request.</summary>
    public static void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body, AwsCredentialValues credentials, string region, string service, DateTimeOffset now)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("request has no URI", nameof(request));
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        request.Headers.Host = host;
        request.Headers.Remove("X-Amz-Date");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        request.Headers.Remove("X-Amz-Security-Token");
        if (credentials.SessionToken is { Length: > 0 } token)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", token);
        }

        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = host,
            ["x-amz-date"] = amzDate,
        };
        if (credentials.SessionToken is { Length: > 0 })
        {
            headers["x-amz-security-token"] = credentials.SessionToken;
        }

        if (request.Content?.Headers.ContentType is { } contentType)
        {
            headers["content-type"] = contentType.ToString();
        }

        // json-protocol services (EventBridge) name the operation in X-Amz-Target; botocore signs it.
        if (request.Headers.TryGetValues("X-Amz-Target", out var targets))
        {
            headers["x-amz-target"] = string.Join(",", targets);
        }

        var signature = ComputeSignature(request.Method.Method, uri, headers, body, credentials, region, service, amzDate, out var signedHeaders);
        var scope = $"{amzDate[..8]}/{region}/{service}/aws4_request";
        request.Headers.Authorization = new AuthenticationHeaderValue(
            Algorithm,
            $"Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    internal static string ComputeSignature(
        string method,
        Uri uri,
        SortedDictionary<string, string> headers,
        ReadOnlySpan<byte> body,
        AwsCredentialValues credentials,
        string region,
        string service,
        string amzDate,
        out string signedHeaders)
    {
        var canonicalRequest = CanonicalRequest(method, uri, headers, body, out signedHeaders);
        var dateStamp = amzDate[..8];
        var scope = $"{dateStamp}/{region}/{service}/aws4_request";
        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + credentials.SecretAccessKey), dateStamp);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        return Hex(Hmac(key, stringToSign));
    }

    internal static string CanonicalRequest(string method, Uri uri, SortedDictionary<string, string> headers, ReadOnlySpan<byte> body, out string signedHeaders)
    {
        var builder = new StringBuilder();
        builder.Append(method).Append('\n');
        builder.Append(CanonicalPath(uri.AbsolutePath)).Append('\n');
        builder.Append(CanonicalQuery(uri.Query)).Append('\n');
        foreach (var (name, value) in headers)
        {
            builder.Append(name).Append(':').Append(CollapseSpaces(value)).Append('\n');
        }

        builder.Append('\n');
        signedHeaders = string.Join(';', headers.Keys);
        builder.Append(signedHeaders).Append('\n');
        builder.Append(Hex(SHA256.HashData(body)));
        return builder.ToString();
    }

    /// <summary>RFC 3986 encoding: unreserved characters stay, everything else is %XX of its UTF-8 bytes.</summary>
    public static string UriEncode(string value, bool keepSlash)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (keepSlash && c == '/'))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static string CanonicalPath(string escapedPath) =>
        escapedPath.Length == 0 ? "/" : UriEncode(escapedPath, keepSlash: true);

    private static string CanonicalQuery(string query)
    {
        if (query.Length <= 1)
        {
            return "";
        }

        var pairs = query[1..]
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair =>
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                return equals < 0 ? (Key: pair, Value: "") : (Key: pair[..equals], Value: pair[(equals + 1)..]);
            })
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal);
        return string.Join('&', pairs.Select(p => $"{p.Key}={p.Value}"));
    }

    private static string CollapseSpaces(string value) => string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
