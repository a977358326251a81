using System.Net;
using System.Text;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Util;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// The notification webhook URL comes from a Secret and is itself a secret: HTTPS only, no redirects, never loopback,
/// link-local or metadata addresses (checked after DNS), the response body is not read, and no failure message
/// contains the URL or its host.
/// </summary>
public sealed class NotificationTransportTests
{
    private const string SecretPath = "/services/T000/B000/XXXXsecretXXXX";

    /// <summary>A loopback HTTP server that counts the requests it receives.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private Server(WebApplication app) => _app = app;

        public int Requests => Volatile.Read(ref _requests);

        public Uri Url => new(_app.Urls.First() + SecretPath);

        public int Port => Url.Port;

        public static async Task<Server> StartAsync(Func<HttpContext, Task> handle)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new Server(app);
            app.Run(async context =>
            {
                Interlocked.Increment(ref server._requests);
                await handle(context);
            });
            await app.StartAsync();
            return server;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }

    private static HttpContent Body() => new StringContent("""{"text":"hello"}""", Encoding.UTF8, "application/json");

    private static Task<IPAddress[]> Resolve(string host, params string[] addresses) =>
        Task.FromResult(addresses.Select(IPAddress.Parse).ToArray());

    private static void AssertNoUrlIn(string message, Uri url)
    {
        Assert.DoesNotContain(SecretPath, message, StringComparison.Ordinal);
        Assert.DoesNotContain("XXXXsecretXXXX", message, StringComparison.Ordinal);
        Assert.DoesNotContain(url.Host, message, StringComparison.Ordinal);
        Assert.DoesNotContain(url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpIsRefusedUnlessTheOperatorAllowsTheOrigin()
    {
        await using var server = await Server.StartAsync(_ => Task.CompletedTask);
        using var strict = new NotificationTransport(OriginAllowList.Empty);
        var failure = await strict.PostAsync(server.Url, Body(), default);
        Assert.NotNull(failure);
        Assert.Contains("plain http", failure);
        Assert.Contains(NotificationTransport.Flag, failure);
        AssertNoUrlIn(failure, server.Url);
        Assert.Equal(0, server.Requests);

        using var allowing = new NotificationTransport(OriginAllowList.Parse("http://127.0.0.1", NotificationTransport.Flag));
        Assert.Null(await allowing.PostAsync(server.Url, Body(), default));
        Assert.Equal(1, server.Requests);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.170.23")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("0.0.0.0")]
    public async Task ANameResolvingToLoopbackLinkLocalOrMetadataIsRefusedAtConnectTime(string address)
    {
        await using var server = await Server.StartAsync(_ => Task.CompletedTask);
        var resolved = new List<string>();
        using var transport = new NotificationTransport(OriginAllowList.Empty, (host, _) =>
        {
            resolved.Add(host);
            // Every address the name has is refused (the real server listens on 127.0.0.1 too).
            return Resolve(host, address, "127.0.0.1");
        });
        // https to the name passes the URL check, and is refused once DNS answers, before any connection.
        var url = new Uri($"https://hooks.example.test:{server.Port}{SecretPath}");
        var failure = await transport.PostAsync(url, Body(), default);
        Assert.NotNull(failure);
        Assert.Contains("resolves only to loopback, link-local or instance-metadata addresses", failure);
        AssertNoUrlIn(failure, url);
        Assert.Equal(["hooks.example.test"], resolved);

        Assert.Equal(0, server.Requests);
        Assert.True(NotificationTransport.Refused(IPAddress.Parse(address)));
    }

    [Fact]
    public async Task AnAddressLiteralInTheUrlIsRefusedBeforeConnecting()
    {
        await using var server = await Server.StartAsync(_ => Task.CompletedTask);
        using var transport = new NotificationTransport(OriginAllowList.Empty);
        var url = new Uri($"https://127.0.0.1:{server.Port}{SecretPath}");
        var failure = await transport.PostAsync(url, Body(), default);
        Assert.Contains("loopback, link-local or instance-metadata", failure);
        Assert.Equal(0, server.Requests);
        Assert.Contains("loopback", transport.Check(new Uri("https://169.254.169.254/latest/meta-data/")));
        Assert.Contains("loopback", transport.Check(new Uri("https://[fd00:ec2::254]/")));
        Assert.Null(transport.Check(new Uri("https://hooks.slack.com/services/x")));
        Assert.Null(transport.Check(new Uri("https://10.1.2.3/hook"))); // private networks are not refused: in-VPC relays are common
    }

    [Fact]
    public async Task RedirectsAreNotFollowed()
    {
        await using var target = await Server.StartAsync(_ => Task.CompletedTask);
        await using var redirector = await Server.StartAsync(context =>
        {
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = target.Url.ToString();
            return Task.CompletedTask;
        });
        using var transport = new NotificationTransport(OriginAllowList.Parse("http://127.0.0.1", "f"));
        var failure = await transport.PostAsync(redirector.Url, Body(), default);
        Assert.NotNull(failure);
        Assert.Contains("307", failure);
        Assert.Contains("redirects are not followed", failure);
        AssertNoUrlIn(failure, redirector.Url);
        Assert.Equal(1, redirector.Requests);
        Assert.Equal(0, target.Requests);
    }

    [Fact]
    public async Task AHugeResponseIsNotRead()
    {
        // A raw server announcing 1 GiB and sending until the client closes: the socket write fails once it is gone,
        // so what it managed to send bounds what the client read (plus kernel buffers).
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var sent = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var buffer = new byte[16 * 1024];
            var request = new StringBuilder();
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1073741824\r\n\r\n"));
            long total = 0;
            var chunk = new byte[64 * 1024];
            try
            {
                while (total < 1L << 30)
                {
                    await stream.WriteAsync(chunk);
                    total += chunk.Length;
                }
            }
            catch (IOException)
            {
                // the client closed the connection
            }

            return total;
        });

        using var transport = new NotificationTransport(OriginAllowList.Parse("http://127.0.0.1", "f"));
        Assert.Null(await transport.PostAsync(new Uri($"http://127.0.0.1:{port}{SecretPath}"), Body(), default));
        var total = await sent.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(total < 64L * 1024 * 1024, $"the server sent {total} bytes before the client closed");
    }

    [Fact]
    public async Task AnErrorAnswerIsReportedByStatusCodeOnly()
    {
        await using var server = await Server.StartAsync(context =>
        {
            context.Response.StatusCode = 500;
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!.ReasonPhrase = "no route for " + SecretPath;
            return context.Response.WriteAsync("unknown webhook " + SecretPath);
        });
        using var transport = new NotificationTransport(OriginAllowList.Parse("http://127.0.0.1", "f"));
        var failure = await transport.PostAsync(server.Url, Body(), default);
        Assert.Equal("the notification webhook answered 500", failure);
    }

    [Fact]
    public async Task AConnectionFailureDoesNotNameTheHost()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var transport = new NotificationTransport(OriginAllowList.Parse("http://127.0.0.1", "f"));
        var url = new Uri($"http://127.0.0.1:{port}{SecretPath}");
        var failure = await transport.PostAsync(url, Body(), default);
        Assert.NotNull(failure);
        Assert.Contains("ConnectionRefused", failure);
        AssertNoUrlIn(failure, url);
    }

    [Theory]
    [InlineData("8.8.8.8", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("2600:1f18::1", false)]
    [InlineData("127.1.2.3", true)]
    [InlineData("fe80::1", true)]
    [InlineData("ff02::1", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("::", true)]
    [InlineData("::ffff:169.254.169.254", true)]
    public void RefusedAddresses(string address, bool refused) =>
        Assert.Equal(refused, NotificationTransport.Refused(IPAddress.Parse(address)));
}
