using System.Net;
using System.Net.Sockets;
using System.Text;
using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>
/// The metrics/health server (a small socket server, not Kestrel): what kubelet probes and Prometheus send, and what
/// they must not be able to do to it. Requests are written byte by byte on raw sockets where the edge case needs it.
/// </summary>
public sealed class HttpEndpointTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero));
    private HttpEndpoint endpoint = null!;
    private int handled;

    public async Task InitializeAsync()
    {
        endpoint = NewEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        await endpoint.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await endpoint.DisposeAsync();

    [Fact]
    public async Task ServesAFixedPathWithContentLengthAndTheQuery()
    {
        var response = await ExchangeAsync("GET /hello?name=a%20b&name=c&flag HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        Assert.Contains("Content-Type: text/plain; charset=utf-8\r\n", response);
        Assert.Contains("Date: Sun, 06 Dec 2026 03:00:00 GMT\r\n", response);
        Assert.Contains("X-Custom: yes\r\n", response);
        Assert.Contains("Connection: close\r\n", response);
        var body = "hello a b,c flag=True\n";
        Assert.Contains($"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n", response);
        Assert.EndsWith("\r\n\r\n" + body, response);
    }

    [Fact]
    public async Task TheFallbackServesPathsOutsideTheTableAndEverythingElseIs404()
    {
        Assert.Contains("\r\n\r\nnamed: informers", await ExchangeAsync("GET /check/informers HTTP/1.1\r\nConnection: close\r\n\r\n"));

        var missing = await ExchangeAsync("GET /nothing HTTP/1.1\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", missing);
        Assert.EndsWith("\r\n\r\n404 page not found\n", missing);
    }

    [Fact]
    public async Task HeadSendsTheHeadersOfGetWithoutTheBody()
    {
        var get = await ExchangeAsync("GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
        var head = await ExchangeAsync("HEAD /hello HTTP/1.1\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head);
        Assert.EndsWith("\r\n\r\n", head);
        Assert.Equal(get[..(get.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)], head);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task OtherMethodsAre405WithAllowAndTheHandlerNeverRuns(string method)
    {
        var response = await ExchangeAsync($"{method} /hello HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");

        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\n", response);
        Assert.Contains("Allow: GET, HEAD\r\n", response);
        // A body it does not read cannot be skipped safely: the connection closes after the answer.
        Assert.Contains("Connection: close\r\n", response);
        Assert.Equal(0, Volatile.Read(ref handled));
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("GET /hello\r\n\r\n")]
    [InlineData("GET  /hello HTTP/1.1\r\n\r\n")]
    [InlineData("get /hello HTTP/1.1\r\n\r\n")]
    [InlineData("GET hello HTTP/1.1\r\n\r\n")]
    [InlineData("GET /hello HTTX/1.1\r\n\r\n")]
    [InlineData("GET /hello HTTP/1.1\r\nno colon here\r\n\r\n")]
    [InlineData("GET /hello HTTP/1.1\r\nBad Name: x\r\n\r\n")]
    [InlineData("GET /hello HTTP/1.1\r\nX: \u00e9\r\n\r\n")]
    public async Task AMalformedRequestIs400AndClosesTheConnection(string request)
    {
        var response = await ExchangeAsync(request);

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", response);
        Assert.Contains("Connection: close\r\n", response);
        Assert.Equal(0, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task AnotherHttpVersionIs505()
    {
        Assert.StartsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n", await ExchangeAsync("GET /hello HTTP/2.0\r\n\r\n"));
    }

    [Fact]
    public async Task OversizedHeadersAre431AndAnOversizedRequestLineIs414()
    {
        var headers = "GET /hello HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, 400).Select(i => $"X-Filler-{i}: {new string('a', 20)}\r\n")) + "\r\n";
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", await ExchangeAsync(headers));

        var line = $"GET /{new string('a', 10_000)} HTTP/1.1\r\n\r\n";
        Assert.StartsWith("HTTP/1.1 414 URI Too Long\r\n", await ExchangeAsync(line));
        Assert.Equal(0, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task KeepAliveAndPipelinedRequestsAreAnsweredInOrderOnOneConnection()
    {
        using var client = await ConnectAsync();
        // Two requests in one write (pipelined), then a third after the first answers: one connection for all.
        await SendAsync(client, "GET /hello?name=one HTTP/1.1\r\n\r\nGET /nothing HTTP/1.1\r\n\r\n");
        await SendAsync(client, "GET /hello?name=three HTTP/1.1\r\nConnection: close\r\n\r\n");

        var all = await ReadToEndAsync(client);

        var responses = all.Split("HTTP/1.1 ", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, responses.Length);
        Assert.StartsWith("200 OK", responses[0]);
        Assert.EndsWith("hello one flag=False\n", responses[0]);
        Assert.DoesNotContain("Connection:", responses[0]);
        Assert.StartsWith("404 Not Found", responses[1]);
        Assert.StartsWith("200 OK", responses[2]);
        Assert.EndsWith("hello three flag=False\n", responses[2]);
        Assert.Equal(2, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task Http10ClosesUnlessItAsksForKeepAlive()
    {
        Assert.Contains("Connection: close\r\n", await ExchangeAsync("GET /hello HTTP/1.0\r\n\r\n"));

        using var client = await ConnectAsync();
        await SendAsync(client, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello HTTP/1.0\r\n\r\n");
        var both = await ReadToEndAsync(client);
        Assert.Equal(2, both.Split("HTTP/1.1 200 OK", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("Connection: keep-alive\r\n", both);
    }

    [Fact]
    public async Task ASlowClientIsDisconnectedAtTheHeadDeadline()
    {
        using var client = await ConnectAsync();
        await SendAsync(client, "GET /hello HTTP/1.1\r\nHost: x\r\n");

        // Time passes on the endpoint's clock until it gives up on the unfinished head (no wall-clock wait: the fake
        // clock is advanced until the server has registered its deadline and the connection closes).
        var closed = ReadToEndAsync(client);
        await PollAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(11));
            return closed.IsCompleted;
        });

        Assert.Equal("", await closed);
        Assert.Equal(0, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task AnIdleKeepAliveConnectionIsClosedAfterItsTimeout()
    {
        using var client = await ConnectAsync();
        await SendAsync(client, "GET /hello HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ReadOneResponseAsync(client));

        var closed = ReadToEndAsync(client);
        await PollAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(131));
            return closed.IsCompleted;
        });
        Assert.Equal("", await closed);
    }

    [Fact]
    public async Task AHandlerThatThrowsIs500AndTheEndpointKeepsServing()
    {
        var response = await ExchangeAsync("GET /throws HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error\r\n", response);
        Assert.Contains("Connection: close\r\n", response);

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ExchangeAsync("GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n"));
    }

    [Fact]
    public async Task WorksWithHttpClientIncludingAbsoluteFormAndIPv6()
    {
        using var http = new HttpClient();
        Assert.Equal("hello x flag=False\n", await http.GetStringAsync(new Uri(endpoint.Address!, "/hello?name=x")));

        if (Socket.OSSupportsIPv6)
        {
            await using var v6 = NewEndpoint(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            try
            {
                await v6.StartAsync(CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                return; // IPv6 compiled in but not configured in this network namespace.
            }

            Assert.Equal("[::1]", v6.Address!.Host);
            Assert.Equal("hello v6 flag=False\n", await http.GetStringAsync(new Uri(v6.Address, "/hello?name=v6")));
        }

        var absolute = await ExchangeAsync("GET http://example.com/hello?name=abs HTTP/1.1\r\nConnection: close\r\n\r\n");
        Assert.EndsWith("hello abs flag=False\n", absolute);
    }

    [Fact]
    public async Task PortZeroBindsAnOsChosenPortAndABusyPortIsAClearError()
    {
        Assert.NotEqual(0, endpoint.Address!.Port);
        Assert.Equal("127.0.0.1", endpoint.Address.Host);

        await using var second = NewEndpoint(new IPEndPoint(IPAddress.Loopback, endpoint.Address.Port));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.StartAsync(CancellationToken.None));
        Assert.Contains($"cannot listen on 127.0.0.1:{endpoint.Address.Port}", error.Message);
    }

    [Fact]
    public async Task TheWildcardAddressServesLoopback()
    {
        await using var any = NewEndpoint(new IPEndPoint(IPAddress.Any, 0));
        await any.StartAsync(CancellationToken.None);
        Assert.Equal("127.0.0.1", any.Address!.Host);

        using var http = new HttpClient();
        Assert.Equal("hello any flag=False\n", await http.GetStringAsync(new Uri(any.Address, "/hello?name=any")));
    }

    [Fact]
    public async Task StopClosesOpenConnectionsAndRefusesNewOnes()
    {
        using var client = await ConnectAsync();
        await SendAsync(client, "GET /hello HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ReadOneResponseAsync(client));
        var port = endpoint.Address!.Port;

        await endpoint.StopAsync(CancellationToken.None).WaitAsync(Generous);

        Assert.Equal("", await ReadToEndAsync(client).WaitAsync(Generous));
        using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAnyAsync<SocketException>(async () => await refused.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)));
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimitAreClosedOnAccept()
    {
        await using var small = NewEndpoint(new IPEndPoint(IPAddress.Loopback, 0), new HttpEndpointOptions { MaxConnections = 1, Time = time });
        await small.StartAsync(CancellationToken.None);
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(new IPEndPoint(IPAddress.Loopback, small.Address!.Port));
        await SendAsync(first, "GET /hello HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ReadOneResponseAsync(first));

        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await second.ConnectAsync(new IPEndPoint(IPAddress.Loopback, small.Address.Port));
        await SendAsync(second, "GET /hello HTTP/1.1\r\n\r\n");
        Assert.Equal("", await ReadToEndAsync(second).WaitAsync(Generous));
    }

    private HttpEndpoint NewEndpoint(IPEndPoint bind, HttpEndpointOptions? options = null)
    {
        var routes = new Dictionary<string, HttpHandler>(StringComparer.Ordinal)
        {
            ["/hello"] = exchange =>
            {
                Interlocked.Increment(ref handled);
                exchange.Response.ContentType = "text/plain; charset=utf-8";
                exchange.Response.Headers["X-Custom"] = "yes";
                var names = string.Join(',', exchange.Request.QueryValues("name"));
                return exchange.Response.WriteAsync($"hello {names} flag={exchange.Request.HasQuery("flag")}\n", exchange.RequestAborted);
            },
            ["/throws"] = _ => throw new InvalidOperationException("handler bug"),
        };
        return new HttpEndpoint(bind, routes, exchange => exchange.Request.Path.StartsWith("/check/", StringComparison.Ordinal)
            ? e => e.Response.WriteAsync("named: " + e.Request.Path["/check/".Length..], e.RequestAborted)
            : null, options ?? new HttpEndpointOptions { Time = time });
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, endpoint.Address!.Port));
        return socket;
    }

    private async Task<string> ExchangeAsync(string request)
    {
        using var client = await ConnectAsync();
        await SendAsync(client, request);
        // Done sending (as a probe is): the server may read the rest of an oversized request and see the end.
        client.Shutdown(SocketShutdown.Send);
        return await ReadToEndAsync(client).WaitAsync(Generous);
    }

    private static async Task SendAsync(Socket socket, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var all = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                all.Write(buffer, 0, read);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with unread input (e.g. after an error answer): what arrived before the reset is the answer.
        }

        return Encoding.UTF8.GetString(all.ToArray());
    }

    /// <summary>Reads exactly one response (head, then Content-Length bytes) from a connection that stays open.</summary>
    private static async Task<string> ReadOneResponseAsync(Socket socket)
    {
        var all = new List<byte>();
        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(Generous);
        while (true)
        {
            var text = Encoding.UTF8.GetString(all.ToArray());
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd >= 0)
            {
                var length = int.Parse(text.Split("\r\n").First(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal))["Content-Length: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                if (all.Count == Encoding.UTF8.GetByteCount(text[..(headEnd + 4)]) + length)
                {
                    return text;
                }
            }

            Assert.Equal(1, await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token));
            all.Add(buffer[0]);
        }
    }

    private static async Task PollAsync(Func<bool> done)
    {
        using var timeout = new CancellationTokenSource(Generous);
        while (!done())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
