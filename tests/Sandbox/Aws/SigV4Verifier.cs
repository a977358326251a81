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
/// Written from AWS's description of the algorithm, independently of the operator's signer (the sandbox exists to
/// check the product, so it must not share its mistakes); both are checked against the requests botocore signed in
/// tests/testdata/sigv4/botocore-vectors.json.
/// </summary>
public sealed partial class SigV4Verifier(IReadOnlyCollection<LocalAwsCredentials> credentials, TimeProvider time)
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);

    private const string Scheme = "AWS4-HMAC-SHA256";
    private const string Terminator = "aws4_request";

    [GeneratedRegex(@"^AWS4-HMAC-SHA256\s+Credential=(?<ak>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request,\s*SignedHeaders=(?<sh>[a-z0-9\-;]+),\s*Signature=(?<sig>[0-9a-f]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationPattern();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

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

        var date = match.Groups["date"].Value;
        if (date != amzDate[..8])
        {
            return new SignatureFailure(403, "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP");
        }

        var signedHeaders = match.Groups["sh"].Value.Split(';');
        if (!signedHeaders.Contains("host"))
        {
            return new SignatureFailure(403, "InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        }

        if (key.SessionToken is not null && header("X-Amz-Security-Token") != key.SessionToken)
        {
            return new SignatureFailure(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        region = match.Groups["region"].Value;
        var scope = string.Join('/', date, region, signingName, Terminator);
        var toSign = StringToSign(amzDate, scope, CanonicalRequest(method, rawTarget, signedHeaders, header, body));
        var expected = Signature(key.SecretAccessKey, [date, region, signingName, Terminator], toSign);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(match.Groups["sig"].Value)))
        {
            return new SignatureFailure(
                403,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }

        return null;
    }

    /// <summary>
    /// The canonical request: method, canonical URI, canonical query, the signed headers as <c>name:value</c> lines,
    /// a blank line, the signed header list and the payload hash, joined by newlines.
    /// </summary>
    internal static string CanonicalRequest(string method, string rawTarget, IReadOnlyList<string> signedHeaders, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        var split = rawTarget.Split('?', 2);
        var lines = new List<string>
        {
            method,
            CanonicalUri(split[0]),
            CanonicalQuery(split.Length > 1 ? split[1] : string.Empty),
        };
        lines.AddRange(signedHeaders.Select(name => name + ":" + Whitespace().Replace((header(name) ?? string.Empty).Trim(), " ")));
        lines.Add(string.Empty);
        lines.Add(string.Join(';', signedHeaders));
        lines.Add(header("X-Amz-Content-SHA256") ?? Convert.ToHexStringLower(SHA256.HashData(body)));
        return string.Join('\n', lines);
    }

    internal static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        string.Join('\n', Scheme, amzDate, scope, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));

    /// <summary>The signing key is the secret HMAC-chained through the scope's parts; the signature is its HMAC of the string to sign.</summary>
    internal static string Signature(string secretAccessKey, IEnumerable<string> scopeParts, string stringToSign)
    {
        var signingKey = scopeParts.Aggregate(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), (chained, part) => HMACSHA256.HashData(chained, Encoding.UTF8.GetBytes(part)));
        return Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));
    }

    // Services other than S3 sign the path as sent, escaped once more, segment by segment ("%3A" becomes "%253A").
    private static string CanonicalUri(string rawPath) =>
        rawPath.Length == 0 ? "/" : string.Join('/', rawPath.Split('/').Select(Uri.EscapeDataString));

    // Query parameters are compared in their canonical RFC 3986 form whatever encoding the client chose ('+' is a
    // space), sorted by name, then value.
    private static string CanonicalQuery(string rawQuery)
    {
        var parameters = new List<KeyValuePair<string, string>>();
        foreach (var parameter in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var nameAndValue = parameter.Split('=', 2);
            parameters.Add(new(Canonical(nameAndValue[0]), Canonical(nameAndValue.Length > 1 ? nameAndValue[1] : string.Empty)));
        }

        parameters.Sort((a, b) =>
        {
            var byName = string.CompareOrdinal(a.Key, b.Key);
            return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
        });
        return string.Join('&', parameters.Select(p => p.Key + "=" + p.Value));
    }

    private static string Canonical(string encoded) => Uri.EscapeDataString(Uri.UnescapeDataString(encoded.Replace('+', ' ')));
}
