using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Runtime;

/// <summary>
/// A small Kestrel listener (slim builder, no reflection: NativeAOT-safe) serving a fixed set of paths. Used for
/// <c>/metrics</c> and the health probes.
/// </summary>
public sealed class HttpEndpoint : IAsyncDisposable
{
    private readonly IPEndPoint bind;
    private readonly IReadOnlyDictionary<string, RequestDelegate> routes;
    private readonly Func<HttpContext, RequestDelegate?>? fallback;
    private WebApplication? app;

    public HttpEndpoint(IPEndPoint bind, IReadOnlyDictionary<string, RequestDelegate> routes, Func<HttpContext, RequestDelegate?>? fallback = null)
    {
        this.bind = bind;
        this.routes = routes;
        this.fallback = fallback;
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

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(bind);
        });
        var application = builder.Build();
        application.Run(HandleAsync);
        try
        {
            await application.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await application.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"cannot listen on {bind}: {e.Message}", e);
        }

        app = application;
        var url = application.Urls.FirstOrDefault() ?? $"http://{bind}";
        Address = new Uri(url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (app is { } application)
        {
            await application.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (app is { } application)
        {
            app = null;
            await application.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }

        var handler = routes.GetValueOrDefault(context.Request.Path.Value ?? "/") ?? fallback?.Invoke(context);
        if (handler is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync("404 page not found\n", context.RequestAborted);
        }

        return handler(context);
    }
}
