using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GuardDutyCoverage.Runtime;

/// <summary>Serves one request: reads <see cref="HttpExchange.Request"/>, fills <see cref="HttpExchange.Response"/>.</summary>
public delegate Task HttpHandler(HttpExchange exchange);

/// <summary>
/// A minimal HTTP/1.1 server on <see cref="Socket"/> serving a fixed set of paths with GET and HEAD: <c>/metrics</c>
/// and the health probes. Kestrel was most of the AOT image and a good part of the idle memory for three fixed paths
/// (issue 11); this serves what kubelet probes and Prometheus scrapes send: a request line, headers, no body;
/// Content-Length responses; keep-alive (HTTP/1.1 default, HTTP/1.0 on request) or Connection: close; 400, 404, 405,
/// 414, 431, 505 for what it does not serve; a deadline for each request's head and an idle deadline between requests,
/// so a slow or silent client cannot hold a connection; a bound on concurrent connections; a clean stop.
/// </summary>
public sealed class HttpEndpoint : IAsyncDisposable
{
    private readonly IPEndPoint bind;
    private readonly IReadOnlyDictionary<string, HttpHandler> routes;
    private readonly Func<HttpExchange, HttpHandler?>? fallback;
    private readonly HttpEndpointOptions options;
    private readonly ConcurrentDictionary<Socket, Task> connections = new();
    private readonly CancellationTokenSource stopping = new();
    private Socket? listener;
    private Task? acceptLoop;

    public HttpEndpoint(IPEndPoint bind, IReadOnlyDictionary<string, HttpHandler> routes, Func<HttpExchange, HttpHandler?>? fallback = null, HttpEndpointOptions? options = null)
    {
        this.bind = bind;
        this.routes = routes;
        this.fallback = fallback;
        this.options = options ?? new HttpEndpointOptions();
    }

    /// <summary>The address actually bound (with the OS-chosen port when 0 was asked for); null before start.</summary>
    public Uri? Address { get; private set; }

    /// <summary>
    /// Parses a controller-runtime style bind address: <c>:8080</c> (all interfaces), <c>127.0.0.1:8080</c>,
    /// <c>[::1]:8080</c>, <c>localhost:8080</c>; <c>0</c> or empty disables the endpoint (null).
    /// </summary>
    public static bool TryParseBindAddress(string? text, out IPEndPoint? endpoint, out string error)
    {
        endpoint = null;
        error = "";
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text == "0")
        {
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"invalid bind address \"{text}\": expected [host]:port, e.g. :8080 or 127.0.0.1:8080, or 0 to disable";
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        IPAddress address;
        if (host.Length == 0)
        {
            address = IPAddress.Any;
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address!))
        {
            error = $"invalid bind address \"{text}\": \"{host}\" is not an IP address";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (listener is not null)
        {
            throw new InvalidOperationException("the endpoint is already started");
        }

        var socket = Listen(bind);
        listener = socket;
        var local = (IPEndPoint)socket.LocalEndPoint!;
        // Where a client on this host reaches it: the loopback of the bound family for the wildcard addresses.
        var host = bind.Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : bind.Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : bind.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bind.Address}]"
            : bind.Address.ToString();
        Address = new Uri($"http://{host}:{local.Port.ToString(CultureInfo.InvariantCulture)}/");
        acceptLoop = AcceptLoopAsync(socket);
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, closes every open connection (a request in flight gets no response) and waits for them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (listener is null)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        listener.Dispose();
        foreach (var socket in connections.Keys)
        {
            socket.Dispose();
        }

        var pending = connections.Values.ToList();
        if (acceptLoop is not null)
        {
            pending.Add(acceptLoop);
        }

        await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        stopping.Dispose();
    }

    private static Socket Listen(IPEndPoint endpoint)
    {
        // ":port" means every interface: a dual-mode IPv6 socket serves IPv4 and IPv6 clients (IPv6-only and
        // dual-stack pods); where the kernel has no IPv6, plain IPv4.
        if (endpoint.Address.Equals(IPAddress.Any) && Socket.OSSupportsIPv6)
        {
            try
            {
                return Bind(new IPEndPoint(IPAddress.IPv6Any, endpoint.Port), dualMode: true);
            }
            catch (InvalidOperationException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable or SocketError.ProtocolNotSupported })
            {
                // IPv6 compiled in but disabled in this network namespace: fall through to IPv4.
            }
        }

        return Bind(endpoint, dualMode: endpoint.Address.Equals(IPAddress.IPv6Any));
    }

    private static Socket Bind(IPEndPoint endpoint, bool dualMode)
    {
        Socket? socket = null;
        try
        {
            socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (dualMode)
            {
                socket.DualMode = true;
            }

            socket.Bind(endpoint);
            socket.Listen(128);
            return socket;
        }
        catch (SocketException e)
        {
            socket?.Dispose();
            throw new InvalidOperationException($"cannot listen on {endpoint}: {e.Message}", e);
        }
    }

    private async Task AcceptLoopAsync(Socket socket)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || (e is SocketException && stopping.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException)
            {
                // A connection reset before it was accepted (ECONNABORTED): the listener is fine.
                continue;
            }

            if (connections.Count >= options.MaxConnections)
            {
                // Over the bound: refuse without reading, so a flood of idle connections cannot grow the process.
                client.Dispose();
                continue;
            }

            client.NoDelay = true;
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var connection = ServeAfterAsync(started.Task, client);
            connections[client] = connection;
            started.SetResult();
        }
    }

    private async Task ServeAfterAsync(Task registered, Socket client)
    {
        await registered.ConfigureAwait(false);
        try
        {
            await ServeConnectionAsync(client).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, timed out or the endpoint stopped: nothing to answer.
        }
        finally
        {
            connections.TryRemove(client, out _);
            client.Dispose();
        }
    }

    private async Task ServeConnectionAsync(Socket client)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(options.MaxRequestHeadBytes);
        try
        {
            var buffered = 0;
            while (!stopping.IsCancellationRequested)
            {
                // Idle until a request's first byte, then the head deadline for the whole head.
                using var deadline = new CancellationTokenSource(buffered > 0 ? options.RequestHeadTimeout : options.KeepAliveTimeout, options.Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping.Token);
                var headEnd = FindHeadEnd(buffer, 0, buffered);
                while (headEnd < 0)
                {
                    if (buffered == options.MaxRequestHeadBytes)
                    {
                        var status = buffer.AsSpan(0, buffered).IndexOf("\r\n"u8) < 0 ? HttpStatusCode.RequestUriTooLong : HttpStatusCode.RequestHeaderFieldsTooLarge;
                        await SendErrorAsync(client, status, linked.Token).ConfigureAwait(false);
                        return;
                    }

                    var read = await client.ReceiveAsync(buffer.AsMemory(buffered, options.MaxRequestHeadBytes - buffered), SocketFlags.None, linked.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }

                    if (buffered == 0)
                    {
                        deadline.CancelAfter(options.RequestHeadTimeout);
                    }

                    buffered += read;
                    headEnd = FindHeadEnd(buffer, Math.Max(0, buffered - read - 3), buffered);
                }

                var keepAlive = await ServeRequestAsync(client, buffer.AsMemory(0, headEnd), linked.Token).ConfigureAwait(false);
                if (!keepAlive)
                {
                    return;
                }

                // Pipelined requests: what followed this head is the start of the next one.
                var consumed = headEnd + 4;
                Buffer.BlockCopy(buffer, consumed, buffer, 0, buffered - consumed);
                buffered -= consumed;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int FindHeadEnd(byte[] buffer, int from, int to) =>
        buffer.AsSpan(from, to - from).IndexOf("\r\n\r\n"u8) is var index and >= 0 ? from + index : -1;

    /// <summary>Answers one request head; false when the connection is to be closed after it.</summary>
    private async Task<bool> ServeRequestAsync(Socket client, ReadOnlyMemory<byte> head, CancellationToken cancellationToken)
    {
        if (!HttpRequestHead.TryParse(head.Span, out var request, out var error))
        {
            await SendErrorAsync(client, error, cancellationToken).ConfigureAwait(false);
            return false;
        }

        // A body is never expected (GET, HEAD); one that was sent cannot be skipped safely: answer, then close.
        var keepAlive = request.KeepAlive && !request.HasBody;
        var exchange = new HttpExchange(request, cancellationToken);
        if (request.Method is not ("GET" or "HEAD"))
        {
            exchange.Response.StatusCode = (int)HttpStatusCode.MethodNotAllowed;
            exchange.Response.Headers["Allow"] = "GET, HEAD";
        }
        else if ((routes.GetValueOrDefault(request.Path) ?? fallback?.Invoke(exchange)) is { } handler)
        {
            try
            {
                await handler(exchange).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                exchange = new HttpExchange(request, cancellationToken);
                exchange.Response.StatusCode = (int)HttpStatusCode.InternalServerError;
                keepAlive = false;
            }
        }
        else
        {
            exchange.Response.StatusCode = (int)HttpStatusCode.NotFound;
            exchange.Response.ContentType = "text/plain; charset=utf-8";
            await exchange.Response.WriteAsync("404 page not found\n", cancellationToken).ConfigureAwait(false);
        }

        await SendAsync(client, exchange.Response, request.Method == "HEAD", keepAlive, request.Version10, cancellationToken).ConfigureAwait(false);
        return keepAlive;
    }

    private Task SendErrorAsync(Socket client, HttpStatusCode status, CancellationToken cancellationToken)
    {
        var response = new HttpResponse { StatusCode = (int)status, ContentType = "text/plain; charset=utf-8" };
        response.Append(((int)status).ToString(CultureInfo.InvariantCulture) + " " + ReasonPhrase((int)status) + "\n");
        return SendAsync(client, response, headOnly: false, keepAlive: false, version10: false, cancellationToken);
    }

    private async Task SendAsync(Socket client, HttpResponse response, bool headOnly, bool keepAlive, bool version10, CancellationToken cancellationToken)
    {
        var body = response.Body;
        var head = new StringBuilder(256)
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.StatusCode} {ReasonPhrase(response.StatusCode)}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Date: {options.Time.GetUtcNow():R}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        if (response.ContentType is { } contentType)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n");
        }

        foreach (var (name, value) in response.Headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        if (!keepAlive)
        {
            head.Append("Connection: close\r\n");
        }
        else if (version10)
        {
            head.Append("Connection: keep-alive\r\n");
        }

        head.Append("\r\n");
        var headBytes = Encoding.ASCII.GetBytes(head.ToString());
        await SendAllAsync(client, headBytes, cancellationToken).ConfigureAwait(false);
        if (!headOnly && body.Length > 0)
        {
            await SendAllAsync(client, body, cancellationToken).ConfigureAwait(false);
        }

        if (!keepAlive)
        {
            await CloseGracefullyAsync(client).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Half-closes, then reads and drops what the client still sends (a request it wrote ahead, a body) for a moment:
    /// closing with unread input resets the connection, and a reset can discard the answer before the client reads it.
    /// </summary>
    private async Task CloseGracefullyAsync(Socket client)
    {
        client.Shutdown(SocketShutdown.Send);
        using var linger = new CancellationTokenSource(options.LingerTimeout, options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(linger.Token, stopping.Token);
        var discard = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var drained = 0;
            int read;
            while (drained < 64 * 1024 && (read = await client.ReceiveAsync(discard, SocketFlags.None, linked.Token).ConfigureAwait(false)) > 0)
            {
                drained += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(discard);
        }
    }

    private static async Task SendAllAsync(Socket client, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await client.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    internal static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    };
}

/// <summary>Limits and clock of an <see cref="HttpEndpoint"/>; the defaults suit kubelet probes and Prometheus scrapes.</summary>
public sealed record HttpEndpointOptions
{
    /// <summary>Request line plus headers; a probe or scrape sends a few hundred bytes.</summary>
    public int MaxRequestHeadBytes { get; init; } = 8 * 1024;

    /// <summary>From a request's first byte to its complete head: a client slower than this is disconnected.</summary>
    public TimeSpan RequestHeadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an open connection may wait for its next request (Prometheus re-uses its connection between scrapes).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(130);

    /// <summary>After an answer that closes the connection: how long what the client still sends is read and dropped.</summary>
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Open connections at once; more are closed on accept.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>The clock of the deadlines and the Date header.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>One request and the response being built for it.</summary>
public sealed class HttpExchange
{
    internal HttpExchange(HttpRequestHead request, CancellationToken requestAborted)
    {
        Request = request;
        RequestAborted = requestAborted;
    }

    public HttpRequestHead Request { get; }

    public HttpResponse Response { get; } = new();

    /// <summary>Cancelled when the client's deadline passes or the endpoint stops.</summary>
    public CancellationToken RequestAborted { get; }
}

/// <summary>A parsed request line and the headers the server acts on.</summary>
public sealed class HttpRequestHead
{
    private readonly Dictionary<string, List<string>> query;

    private HttpRequestHead(string method, string path, Dictionary<string, List<string>> query, bool version10, bool keepAlive, bool hasBody)
    {
        Method = method;
        Path = path;
        this.query = query;
        Version10 = version10;
        KeepAlive = keepAlive;
        HasBody = hasBody;
    }

    public string Method { get; }

    /// <summary>The path, percent-decoded, without the query.</summary>
    public string Path { get; }

    internal bool Version10 { get; }

    internal bool KeepAlive { get; }

    internal bool HasBody { get; }

    /// <summary>Whether the query names the parameter (with or without a value).</summary>
    public bool HasQuery(string name) => query.ContainsKey(name);

    /// <summary>Every value of a query parameter, in order (empty when absent).</summary>
    public IReadOnlyList<string> QueryValues(string name) => query.TryGetValue(name, out var values) ? values : [];

    internal static bool TryParse(ReadOnlySpan<byte> head, out HttpRequestHead request, out HttpStatusCode error)
    {
        request = null!;
        error = HttpStatusCode.BadRequest;
        // Field values are ASCII in practice; anything else is rejected rather than guessed at.
        foreach (var b in head)
        {
            if (b >= 0x80 || (b < 0x20 && b is not ((byte)'\r' or (byte)'\n' or (byte)'\t')))
            {
                return false;
            }
        }

        var lines = Encoding.ASCII.GetString(head).Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !parts[0].All(char.IsAsciiLetterUpper) || parts[1].Length == 0)
        {
            return false;
        }

        var version = parts[2];
        if (!version.StartsWith("HTTP/", StringComparison.Ordinal) || version.Length != 8 || !char.IsAsciiDigit(version[5]) || version[6] != '.' || !char.IsAsciiDigit(version[7]))
        {
            return false;
        }

        if (version is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            error = HttpStatusCode.HttpVersionNotSupported;
            return false;
        }

        var version10 = version == "HTTP/1.0";
        string? connection = null;
        var hasBody = false;
        for (var i = 1; i < lines.Length; i++)
        {
            var colon = lines[i].IndexOf(':');
            if (colon <= 0 || lines[i][..colon].Any(c => c is ' ' or '\t'))
            {
                return false;
            }

            var name = lines[i][..colon];
            var value = lines[i][(colon + 1)..].Trim(' ', '\t');
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connection = value;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && value != "0"))
            {
                hasBody = true;
            }
        }

        var keepAlive = connection is null
            ? !version10
            : connection.Split(',').Select(t => t.Trim()).Any(t => t.Equals("keep-alive", StringComparison.OrdinalIgnoreCase))
              || (!version10 && !connection.Split(',').Select(t => t.Trim()).Any(t => t.Equals("close", StringComparison.OrdinalIgnoreCase)));

        var target = parts[1];
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            // Absolute form (proxies send it): only the path and query matter here.
            if (!Uri.TryCreate(target, UriKind.Absolute, out var absolute))
            {
                return false;
            }

            target = absolute.PathAndQuery;
        }
        else if (target[0] != '/')
        {
            return false;
        }

        var questionMark = target.IndexOf('?');
        var path = Uri.UnescapeDataString(questionMark < 0 ? target : target[..questionMark]);
        var query = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (questionMark >= 0)
        {
            foreach (var pair in target[(questionMark + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=');
                var key = Decode(equals < 0 ? pair : pair[..equals]);
                var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
                if (!query.TryGetValue(key, out var values))
                {
                    query[key] = values = [];
                }

                values.Add(value);
            }
        }

        request = new HttpRequestHead(parts[0], path, query, version10, keepAlive, hasBody);
        return true;
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}

/// <summary>The response of an exchange: status, content type, extra headers and a buffered body (sent with Content-Length).</summary>
public sealed class HttpResponse
{
    private readonly ArrayBufferWriter<byte> body = new();

    public int StatusCode { get; set; } = 200;

    public string? ContentType { get; set; }

    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    internal ReadOnlyMemory<byte> Body => body.WrittenMemory;

    /// <summary>Appends UTF-8 text to the body.</summary>
    public Task WriteAsync(string text, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Append(text);
        return Task.CompletedTask;
    }

    internal void Append(string text) => Encoding.UTF8.GetBytes(text, body);
}
