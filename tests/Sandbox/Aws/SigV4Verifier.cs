using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Sandbox.Aws;

/// <summary>Test credentials the local endpoints accept.</summary>
public sealed record LocalAwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null);

/// <summary>Why a signature was refused, with the code and message AWS uses.</summary>
public sealed record SignatureFailure(int Status, string Code, string Message);

/// <summary>
/// Verifies AWS Signature Version 4 on a request as AWS does: recomputes the canonical request from what arrived
/// (raw path and query, the signed headers, the body hash) and compares signatures; refuses unknown keys, a wrong
/// session token, another service's scope and a clock skew of more than 15 minutes.
/// </summary>
public sealed partial class SigV4Verifier(IReadOnlyCollection<LocalAwsCredentials> credentials, TimeProvider time)
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);

    [GeneratedRegex(@"^AWS4-HMAC-SHA256\s+Credential=(?<ak>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request,\s*SignedHeaders=(?<sh>[a-z0-9\-;]+),\s*Signature=(?<sig>[0-9a-f]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationPattern();

    /// <summary>Null when the signature is valid.</summary>
    /// <param name="rawTarget">The request target as sent: encoded path and query.</param>
    /// <param name="header">Looks a request header up by name (all values joined by ",").</param>
    public SignatureFailure? Verify(string method, string rawTarget, Func<string, string?> header, ReadOnlySpan<byte> body, string signingName, out string? region)
    {
        region = null;
        var authorization = header("Authorization");
        if (string.IsNullOrEmpty(authorization))
        {
            return new SignatureFailure(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
        }

        var match = AuthorizationPattern().Match(authorization);
        if (!match.Success)
        {
            return new SignatureFailure(403, "IncompleteSignatureException", $"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization={authorization}");
        }

        var key = credentials.FirstOrDefault(c => c.AccessKeyId == match.Groups["ak"].Value);
        if (key is null)
        {
            return new SignatureFailure(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        if (match.Groups["service"].Value != signingName)
        {
            return new SignatureFailure(403, "InvalidSignatureException", $"Credential should be scoped to correct service: '{signingName}'. ");
        }

        var amzDate = header("X-Amz-Date");
        if (amzDate is null || !DateTime.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            return new SignatureFailure(403, "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        if ((now - signedAt).Duration() > MaxSkew)
        {
            return new SignatureFailure(403, "InvalidSignatureException", $"Signature expired: {amzDate} is now earlier than {now.Subtract(MaxSkew):yyyyMMdd'T'HHmmss'Z'}");
        }

        if (match.Groups["date"].Value != amzDate[..8])
        {
            return new SignatureFailure(403, "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP");
        }

        var signedHeaders = match.Groups["sh"].Value.Split(';');
        if (!signedHeaders.Contains("host"))
        {
            return new SignatureFailure(403, "InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        }

        if (key.SessionToken is not null)
        {
            if (header("X-Amz-Security-Token") != key.SessionToken)
            {
                return new SignatureFailure(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
            }
        }

        region = match.Groups["region"].Value;
        var canonical = CanonicalRequest(method, rawTarget, signedHeaders, header, body);
        var scope = $"{match.Groups["date"].Value}/{region}/{signingName}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var signingKey = Hmac(Encoding.UTF8.GetBytes("AWS4" + key.SecretAccessKey), match.Groups["date"].Value);
        signingKey = Hmac(signingKey, region);
        signingKey = Hmac(signingKey, signingName);
        signingKey = Hmac(signingKey, "aws4_request");
        var expected = Hex(Hmac(signingKey, stringToSign));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(match.Groups["sig"].Value)))
        {
            return new SignatureFailure(
                403,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }

        return null;
    }

    internal static string CanonicalRequest(string method, string rawTarget, IReadOnlyList<string> signedHeaders, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        var questionMark = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = questionMark < 0 ? rawTarget : rawTarget[..questionMark];
        var query = questionMark < 0 ? "" : rawTarget[(questionMark + 1)..];
        var builder = new StringBuilder();
        builder.Append(method).Append('\n');
        builder.Append(path.Length == 0 ? "/" : Encode(path)).Append('\n');
        var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.IndexOf('=', StringComparison.Ordinal) is var i and >= 0 ? (K: p[..i], V: p[(i + 1)..]) : (K: p, V: ""))
            .Select(p => (K: Normalize(p.K), V: Normalize(p.V)))
            .OrderBy(p => p.K, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal);
        builder.Append(string.Join('&', pairs.Select(p => $"{p.K}={p.V}"))).Append('\n');
        foreach (var name in signedHeaders)
        {
            var value = header(name) ?? "";
            builder.Append(name).Append(':').Append(string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }

        builder.Append('\n').Append(string.Join(';', signedHeaders)).Append('\n');
        builder.Append(header("X-Amz-Content-SHA256") ?? Hex(SHA256.HashData(body)));
        return builder.ToString();
    }

    // Query keys and values are compared in their canonical RFC 3986 form, whatever encoding the client chose.
    private static string Normalize(string encoded) => Encode(Uri.UnescapeDataString(encoded.Replace('+', ' ')), keepSlash: false);

    private static string Encode(string value, bool keepSlash = true)
    {
        var builder = new StringBuilder();
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

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
