using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Sandbox.Aws;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>
/// Both sides of SigV4 against the same recorded vectors (tests/testdata/sigv4/botocore-vectors.json: requests botocore's
/// SigV4Auth signed with fixed credentials at a fixed time): the operator's signer must produce botocore's headers and
/// canonical request; the sandbox's verifier, written independently, must compute the same canonical request, accept
/// botocore's signatures and refuse them once anything signed is changed.
/// </summary>
public sealed class SigV4VectorTests
{
    private static readonly JsonObject File = JsonNode.Parse(System.IO.File.ReadAllText(RepoPaths.TestData("sigv4", "botocore-vectors.json")))!.AsObject();

    private static DateTimeOffset Now => DateTimeOffset.Parse((string)File["now"]!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var vector in File["vectors"]!.AsArray())
        {
            names.Add((string)vector!["name"]!);
        }

        return names;
    }

    [Fact]
    public void TheVectorsCoverSessionTokensQueriesEncodedPathsPortsAndTargets()
    {
        var vectors = File["vectors"]!.AsArray().Select(v => v!.AsObject()).ToList();
        Assert.True(vectors.Count >= 8);
        Assert.Contains(vectors, v => v["credentials"]!["sessionToken"] is not null);
        Assert.Contains(vectors, v => ((string)v["url"]!).Contains('?', StringComparison.Ordinal));
        Assert.Contains(vectors, v => ((string)v["url"]!).Contains("%3A", StringComparison.Ordinal));
        Assert.Contains(vectors, v => new Uri((string)v["url"]!).IsDefaultPort == false);
        Assert.Contains(vectors, v => v["headers"]!["X-Amz-Target"] is not null);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TheOperatorsSignerProducesBotocoresHeaders(string name)
    {
        var vector = Vector(name);
        var signed = vector["signed"]!["headers"]!.AsObject();
        using var message = new HttpRequestMessage(new HttpMethod((string)vector["method"]!), new Uri((string)vector["url"]!));
        var body = Encoding.UTF8.GetBytes((string)vector["body"]!);
        if (body.Length > 0 || vector["headers"]!["Content-Type"] is not null)
        {
            message.Content = new ByteArrayContent(body);
        }

        foreach (var (header, value) in vector["headers"]!.AsObject())
        {
            if (header == "Content-Type")
            {
                message.Content!.Headers.TryAddWithoutValidation(header, (string)value!);
            }
            else
            {
                message.Headers.TryAddWithoutValidation(header, (string)value!);
            }
        }

        SigV4Signer.Sign(message, body, Credentials(vector), (string)vector["region"]!, (string)vector["service"]!, Now);

        Assert.Equal((string)signed["Authorization"]!, message.Headers.Authorization!.ToString());
        Assert.Equal((string)signed["X-Amz-Date"]!, message.Headers.GetValues("X-Amz-Date").Single());
        Assert.Equal((string?)signed["X-Amz-Security-Token"], message.Headers.TryGetValues("X-Amz-Security-Token", out var tokens) ? tokens.Single() : null);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BothCanonicalRequestsAreBotocores(string name)
    {
        var vector = Vector(name);
        var expected = (string)vector["signed"]!["canonicalRequest"]!;
        var uri = new Uri((string)vector["url"]!);
        var body = Encoding.UTF8.GetBytes((string)vector["body"]!);
        var lookup = Headers(vector);
        var signedHeaders = SignedHeaders(vector);

        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var header in signedHeaders)
        {
            headers[header] = lookup(header)!;
        }

        var operators = SigV4Signer.CanonicalRequest((string)vector["method"]!, uri, headers, body, out var operatorsSignedHeaders);
        var sandboxes = SigV4Verifier.CanonicalRequest((string)vector["method"]!, RawTarget(vector), signedHeaders, lookup, body);

        Assert.Equal(expected, operators);
        Assert.Equal(string.Join(';', signedHeaders), operatorsSignedHeaders);
        Assert.Equal(expected, sandboxes);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TheSandboxAcceptsBotocoresSignature(string name)
    {
        var vector = Vector(name);
        var verifier = Verifier(vector);

        var failure = verifier.Verify((string)vector["method"]!, RawTarget(vector), Headers(vector), Encoding.UTF8.GetBytes((string)vector["body"]!), (string)vector["service"]!, out var region);

        Assert.Null(failure);
        Assert.Equal((string)vector["region"]!, region);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TheSandboxRefusesAChangedBodyOrPath(string name)
    {
        var vector = Vector(name);
        var verifier = Verifier(vector);
        var body = Encoding.UTF8.GetBytes((string)vector["body"]!);

        var changedBody = verifier.Verify((string)vector["method"]!, RawTarget(vector), Headers(vector), [.. body, (byte)' '], (string)vector["service"]!, out _);
        var changedPath = verifier.Verify((string)vector["method"]!, RawTarget(vector).Replace("/", "/x", StringComparison.Ordinal), Headers(vector), body, (string)vector["service"]!, out _);

        Assert.Equal("InvalidSignatureException", changedBody?.Code);
        Assert.Equal("InvalidSignatureException", changedPath?.Code);
    }

    private static JsonObject Vector(string name) => File["vectors"]!.AsArray().Select(v => v!.AsObject()).Single(v => (string)v["name"]! == name);

    private static AwsCredentialValues Credentials(JsonObject vector) =>
        new((string)vector["credentials"]!["accessKeyId"]!, (string)vector["credentials"]!["secretAccessKey"]!, (string?)vector["credentials"]!["sessionToken"]);

    private static SigV4Verifier Verifier(JsonObject vector)
    {
        var credentials = Credentials(vector);
        return new SigV4Verifier([new LocalAwsCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken)], new FakeTimeProvider(Now));
    }

    /// <summary>The request target as it goes over the wire: the URL's path and query, as written.</summary>
    private static string RawTarget(JsonObject vector)
    {
        var uri = new Uri((string)vector["url"]!);
        return uri.PathAndQuery;
    }

    /// <summary>The headers the server receives: what botocore left on the request, and Host from the URL.</summary>
    private static Func<string, string?> Headers(JsonObject vector)
    {
        var uri = new Uri((string)vector["url"]!);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Host"] = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}",
        };
        foreach (var (name, value) in vector["signed"]!["headers"]!.AsObject())
        {
            headers[name] = (string)value!;
        }

        return name => headers.TryGetValue(name, out var value) ? value : null;
    }

    private static string[] SignedHeaders(JsonObject vector)
    {
        var authorization = (string)vector["signed"]!["headers"]!["Authorization"]!;
        var start = authorization.IndexOf("SignedHeaders=", StringComparison.Ordinal) + "SignedHeaders=".Length;
        return authorization[start..authorization.IndexOf(',', start)].Split(';');
    }
}
