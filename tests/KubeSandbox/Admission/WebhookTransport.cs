using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Semantics;

namespace KubeSandbox.Admission;

/// <summary>Where one webhook call goes: the URL as kube-apiserver prints it, the CA bundle to trust, and for service
/// references the address actually listening (the URL keeps the service's DNS name for TLS verification).</summary>
internal sealed record WebhookEndpoint(Uri RequestUri, string DisplayUrl, byte[]? CaBundlePem, DnsEndPoint? ConnectTo);

/// <summary>The decoded AdmissionReview reply, or the reason the call failed worded as kube-apiserver's Go client words it.</summary>
internal sealed record TransportResult(JsonObject? Body, string? Failure)
{
    public static TransportResult Failed(string failure) => new(null, failure);
}

/// <summary>A connection error worded as Go's net package words it (<c>dial tcp 127.0.0.1:9443: connect: connection refused</c>).</summary>
internal sealed class WebhookDialException(string message) : Exception(message);

/// <summary>
/// HTTPS POSTs of AdmissionReviews, one pooled client per (host, CA bundle, connect target): the server certificate
/// must chain to the webhook's <c>caBundle</c> only (the system roots when it has none) and name the URL's host in
/// its SANs, as Go's crypto/x509 requires. Failures are translated into the texts kube-apiserver reports.
/// </summary>
internal sealed class WebhookTransport(TimeProvider timeProvider) : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Client> clients = new(StringComparer.Ordinal);
    private bool disposed;

    public async Task<TransportResult> PostAsync(WebhookEndpoint endpoint, byte[] body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Client client;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var key = Key(endpoint);
            if (!clients.TryGetValue(key, out client!))
            {
                try
                {
                    client = new Client(endpoint);
                }
                catch (CryptographicException)
                {
                    return TransportResult.Failed("could not get REST client: unable to load root certificates: unable to parse bytes as PEM block");
                }

                clients[key] = client;
            }
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.RequestUri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.ParseAdd("application/json, */*");
        request.Headers.UserAgent.ParseAdd("kube-apiserver-admission");

        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var response = await client.Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return Interpret((int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", bytes);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TransportResult.Failed($"Post {GoFormat.Quote(endpoint.DisplayUrl)}: context deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            return TransportResult.Failed($"Post {GoFormat.Quote(endpoint.DisplayUrl)}: {Describe(e, client)}");
        }
        catch (IOException)
        {
            // The connection broke while the body was being read.
            return TransportResult.Failed("unexpected EOF");
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (gate)
        {
            disposed = true;
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }

            clients.Clear();
        }

        return ValueTask.CompletedTask;
    }

    private static string Key(WebhookEndpoint endpoint)
    {
        var ca = endpoint.CaBundlePem is null ? "system" : Convert.ToHexString(SHA256.HashData(endpoint.CaBundlePem));
        return $"{endpoint.RequestUri.Scheme}://{endpoint.RequestUri.Authority}|{ca}|{endpoint.ConnectTo?.Host}:{endpoint.ConnectTo?.Port}";
    }

    private static string Describe(HttpRequestException exception, Client client)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case WebhookDialException dial:
                    return dial.Message;
                case AuthenticationException:
                    return client.LastTlsFailure ?? "remote error: tls: handshake failure";
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                    return "EOF";
                case SocketException { SocketErrorCode: SocketError.ConnectionReset }:
                    return "read: connection reset by peer";
            }
        }

        return exception.Message;
    }

    /// <summary>client-go's rest client: 2xx bodies are decoded, other statuses become its generic server errors.</summary>
    private static TransportResult Interpret(int statusCode, string contentType, byte[] body)
    {
        if (statusCode is < 200 or > 206)
        {
            return TransportResult.Failed(UnexpectedStatus(statusCode, contentType, body));
        }

        if (body.Length == 0)
        {
            return TransportResult.Failed($"0-length response with status code: {statusCode} and content type: {contentType}");
        }

        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return TransportResult.Failed("couldn't get version/kind; json parse error: " + e.Message);
        }

        if (parsed is not JsonObject review)
        {
            return TransportResult.Failed("couldn't get version/kind; json parse error: json: cannot unmarshal non-object into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }");
        }

        if (JsonRead.String(review["kind"]) is not { Length: > 0 })
        {
            return TransportResult.Failed($"Object 'Kind' is missing in '{Encoding.UTF8.GetString(body)}'");
        }

        return new TransportResult(review, null);
    }

    private static string UnexpectedStatus(int statusCode, string contentType, byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        try
        {
            if (JsonNode.Parse(text) is JsonObject status && JsonRead.String(status["kind"]) == "Status" && JsonRead.String(status["message"]) is { Length: > 0 } message)
            {
                return message;
            }
        }
        catch (JsonException)
        {
            // Not a Status: fall through to the generic wording.
        }

        var serverMessage = contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) ? text.Trim() : "unknown";
        return statusCode switch
        {
            400 => "the server rejected our request for an unknown reason",
            401 => "the server has asked for the client to provide credentials",
            403 => serverMessage,
            404 => "the server could not find the requested resource",
            405 => "the server does not allow this method on the requested resource",
            406 => "the server was unable to respond with a content type that the client supports",
            409 => "the server reported a conflict",
            415 => "the server does not support the requested media type",
            422 => "the server rejected our request due to an error in our request",
            429 => "the server has received too many requests and has asked us to try again later",
            503 => "the server is currently unable to handle the request",
            504 => "the server was unable to return a response in the time allotted, but may still be processing the request",
            >= 500 => $"an error on the server ({GoFormat.Quote(serverMessage)}) has prevented the request from succeeding",
            _ => $"the server responded with the status code {statusCode} but did not return more information",
        };
    }

    private sealed class Client : IDisposable
    {
        private readonly X509Certificate2Collection? trust;
        private readonly string host;
        private volatile string? lastTlsFailure;

        public Client(WebhookEndpoint endpoint)
        {
            host = endpoint.RequestUri.IdnHost;
            if (endpoint.CaBundlePem is { Length: > 0 } pem)
            {
                trust = [];
                trust.ImportFromPem(Encoding.ASCII.GetString(pem));
                if (trust.Count == 0)
                {
                    throw new CryptographicException("no certificate in the CA bundle");
                }
            }

            var connectTo = endpoint.ConnectTo;
            var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                ConnectCallback = (context, token) => ConnectAsync(connectTo ?? context.DnsEndPoint, token),
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
            };
            Http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        }

        public HttpClient Http { get; }

        public string? LastTlsFailure => lastTlsFailure;

        public void Dispose()
        {
            Http.Dispose();
            foreach (var certificate in trust ?? [])
            {
                certificate.Dispose();
            }
        }

        private static async ValueTask<Stream> ConnectAsync(DnsEndPoint target, CancellationToken cancellationToken)
        {
            IPAddress address;
            if (!IPAddress.TryParse(target.Host, out address!))
            {
                try
                {
                    var addresses = await Dns.GetHostAddressesAsync(target.Host, cancellationToken).ConfigureAwait(false);
                    address = addresses.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
                }
                catch (SocketException)
                {
                    throw new WebhookDialException($"dial tcp: lookup {target.Host}: no such host");
                }
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, target.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                var where = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{target.Port}" : $"{address}:{target.Port}";
                throw new WebhookDialException($"dial tcp {where}: connect: {Errno(e.SocketErrorCode)}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        private static string Errno(SocketError error) => error switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostUnreachable => "no route to host",
            SocketError.NetworkUnreachable => "network is unreachable",
            SocketError.TimedOut => "connection timed out",
            _ => error.ToString(),
        };

        private bool Validate(object sender, X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
        {
            var failure = Verify(certificate, presentedChain, errors);
            lastTlsFailure = failure;
            return failure is null;
        }

        // Go's order: validity period, then host name, then the chain to a trusted root.
        private string? Verify(X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
        {
            if (certificate is not X509Certificate2 leaf)
            {
                return "tls: server didn't provide a certificate";
            }

            var now = DateTime.UtcNow;
            if (now < leaf.NotBefore.ToUniversalTime())
            {
                return $"x509: certificate has expired or is not yet valid: current time {GoTime(now)} is before {GoTime(leaf.NotBefore.ToUniversalTime())}";
            }

            if (now > leaf.NotAfter.ToUniversalTime())
            {
                return $"x509: certificate has expired or is not yet valid: current time {GoTime(now)} is after {GoTime(leaf.NotAfter.ToUniversalTime())}";
            }

            if (HostnameError(leaf) is { } hostnameError)
            {
                return hostnameError;
            }

            if (trust is null)
            {
                return (errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0 ? "x509: certificate signed by unknown authority" : null;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.AddRange(trust);
            if (presentedChain is not null)
            {
                foreach (var element in presentedChain.ChainElements)
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            return chain.Build(leaf) ? null : "x509: certificate signed by unknown authority";
        }

        private string? HostnameError(X509Certificate2 leaf)
        {
            var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
            var dnsNames = san?.EnumerateDnsNames().ToList() ?? [];
            var ipAddresses = san?.EnumerateIPAddresses().ToList() ?? [];
            if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
            {
                if (ipAddresses.Count == 0)
                {
                    return $"x509: cannot validate certificate for {host} because it doesn't contain any IP SANs";
                }

                return ipAddresses.Any(a => a.Equals(ip)) ? null : $"x509: certificate is valid for {string.Join(", ", ipAddresses)}, not {host}";
            }

            if (dnsNames.Any(name => HostMatches(name, host)))
            {
                return null;
            }

            return dnsNames.Count == 0
                ? $"x509: certificate is not valid for any names, but wanted to match {host}"
                : $"x509: certificate is valid for {string.Join(", ", dnsNames)}, not {host}";
        }

        private static bool HostMatches(string pattern, string hostName)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = hostName.IndexOf('.', StringComparison.Ordinal);
                return dot > 0 && string.Equals(pattern[1..], hostName[dot..], StringComparison.OrdinalIgnoreCase);
            }

            return string.Equals(pattern.TrimEnd('.'), hostName.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);
        }

        private static string GoTime(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
