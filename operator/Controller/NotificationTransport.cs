using System.Net;
using System.Net.Sockets;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Delivers notification webhooks without letting the URL steer the operator: HTTPS only, no redirects, no proxy,
/// never to loopback, link-local (instance metadata, 169.254.169.254), the EC2 IPv6 metadata range
/// (<c>fd00:ec2::/32</c>), unspecified or multicast addresses — checked on the addresses DNS returns at connect time,
/// so a name that resolves (or re-resolves) to such an address is refused too. Origins in
/// <c>--allowed-notification-urls</c> are exempt (an in-cluster relay over plain HTTP, tests on loopback).
/// The response body is never read (only its status code counts) and headers are capped.
/// <para>
/// The URL is a secret (chat webhook URLs carry their credential in the path), so no result of this class contains it,
/// its host or the server's own words (a reason phrase or an exception message may echo it).
/// </para>
/// </summary>
public sealed class NotificationTransport : IDisposable
{
    public const string Flag = "--allowed-notification-urls";
    public const string HelmValue = "notifications.allowedUrls";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Largest response header section read (bytes); the body is never read.</summary>
    public const int MaxResponseHeaderBytes = 16 * 1024;

    private readonly OriginAllowList _allowed;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private readonly HttpClient _http;

    /// <param name="allowed">Origins exempt from the HTTPS and address rules.</param>
    /// <param name="resolve">DNS (tests substitute one); default: the system resolver.</param>
    /// <param name="handler">Tests may trust a test certificate here; the connect callback and redirect rules are always set.</param>
    public NotificationTransport(OriginAllowList allowed, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, SocketsHttpHandler? handler = null)
    {
        _allowed = allowed;
        _resolve = resolve ?? Dns.GetHostAddressesAsync;
        handler ??= new SocketsHttpHandler();
        handler.AllowAutoRedirect = false;
        handler.UseProxy = false; // a proxy would make the connect-time address check meaningless
        handler.UseCookies = false;
        handler.MaxResponseHeadersLength = MaxResponseHeaderBytes / 1024;
        handler.ConnectTimeout = TimeSpan.FromSeconds(5);
        handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2); // DNS changes are seen (and re-checked)
        handler.ConnectCallback = ConnectAsync;
        _http = new HttpClient(handler) { Timeout = Timeout, MaxResponseContentBufferSize = 64 * 1024 };
    }

    /// <summary>Why <paramref name="uri"/> may not be used (no URL in the text), or null.</summary>
    public string? Check(Uri uri)
    {
        if (!uri.IsAbsoluteUri || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            return "is not an absolute https URL";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "must not carry user info (user:password@)";
        }

        if (uri.Scheme == "http" && !_allowed.Allows(uri))
        {
            return $"is a plain http URL; notifications are sent over https only unless the operator allows the origin with {Flag} (Helm value {HelmValue})";
        }

        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal) && Refused(literal) && !_allowed.Allows(uri))
        {
            return $"points at a loopback, link-local or instance-metadata address, which notifications never reach unless the operator allows the origin with {Flag}";
        }

        return null;
    }

    /// <summary>POSTs <paramref name="content"/>; returns why it failed (no URL in the text), or null when the webhook accepted it.</summary>
    public async Task<string?> PostAsync(Uri uri, HttpContent content, CancellationToken cancellationToken)
    {
        if (Check(uri) is { } problem)
        {
            return "the notification URL " + problem;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        // Carry the allow-list decision to the connect callback, which sees only host and port.
        request.Options.Set(AllowedKey, _allowed.Allows(uri));
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => null,
                >= 300 and < 400 => $"the notification webhook answered {status} (a redirect; redirects are not followed)",
                _ => $"the notification webhook answered {status}",
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"the notification webhook did not answer within {Timeout.TotalSeconds:0} s";
        }
        catch (HttpRequestException e)
        {
            return "cannot reach the notification webhook: " + Describe(e);
        }
    }

    private static readonly HttpRequestOptionsKey<bool> AllowedKey = new("gdc-notification-origin-allowed");

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var allowed = context.InitialRequestMessage.Options.TryGetValue(AllowedKey, out var a) && a;
        IPAddress[] addresses;
        if (IPAddress.TryParse(context.DnsEndPoint.Host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await _resolve(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new NotificationRefusedException($"its host name does not resolve ({e.SocketErrorCode})", e);
            }
        }

        var usable = allowed ? addresses : addresses.Where(address => !Refused(address)).ToArray();
        if (usable.Length == 0)
        {
            throw new NotificationRefusedException(addresses.Length == 0
                ? "its host name has no address"
                : $"its host name resolves only to loopback, link-local or instance-metadata addresses, which notifications never reach unless the operator allows the origin with {Flag}");
        }

        SocketException? last = null;
        foreach (var address in usable)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new NotificationRefusedException($"the connection failed ({last!.SocketErrorCode})", last);
    }

    /// <summary>Addresses a notification never goes to (unless its origin is allowed explicitly).</summary>
    public static bool Refused(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }

        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return bytes[0] == 0 // "this network"
                || (bytes[0] == 169 && bytes[1] == 254) // link-local: instance metadata, ECS/EKS credential agents
                || bytes[0] >= 224; // multicast and reserved
        }

        return address.IsIPv6LinkLocal
            || address.IsIPv6Multicast
            || address.IsIPv6SiteLocal
            || (bytes[0] == 0xfd && bytes[1] == 0x00 && bytes[2] == 0x0e && bytes[3] == 0xc2); // fd00:ec2::/32, EC2 metadata and Pod Identity
    }

    /// <summary>The cause of a failed request in words that cannot contain the URL.</summary>
    private static string Describe(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case NotificationRefusedException refused:
                    return refused.Message;
                case System.Security.Authentication.AuthenticationException:
                    return "the TLS handshake failed (certificate not trusted or not valid for the host)";
                case SocketException socket:
                    return $"the connection failed ({socket.SocketErrorCode})";
            }
        }

        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "its host name does not resolve",
            HttpRequestError.ConnectionError => "the connection failed",
            HttpRequestError.SecureConnectionError => "the TLS handshake failed",
            HttpRequestError.ResponseEnded => "the server closed the connection before answering",
            HttpRequestError.ConfigurationLimitExceeded => "the response headers exceed the size limit",
            HttpRequestError.InvalidResponse => "the response is not valid HTTP",
            _ => $"the request failed ({e.HttpRequestError})",
        };
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The transport refused to connect; the message never contains the URL.</summary>
public sealed class NotificationRefusedException(string message, Exception? inner = null) : IOException(message, inner);
