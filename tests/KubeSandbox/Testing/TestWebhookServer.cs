using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KubeSandbox.Testing;

/// <summary>
/// An admission webhook server for tests: Kestrel over HTTPS on 127.0.0.1 with an OS-chosen port and a certificate
/// from a CA created at start (<see cref="CaBundle"/> goes into <c>clientConfig.caBundle</c>). Each path answers with
/// a programmable <see cref="WebhookBehavior"/>; unmapped paths get Go's <c>404 page not found</c>. Every
/// AdmissionReview received is recorded, before its behaviour runs, and can be awaited.
/// </summary>
public sealed class TestWebhookServer : IAsyncDisposable
{
    private readonly TestCertificateAuthority authority;
    private readonly X509Certificate2 certificate;
    private Listener? listener;
    private readonly ConcurrentDictionary<string, WebhookBehavior> behaviors = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private readonly List<ReceivedAdmissionReview> received = [];
    private readonly List<SentWebhookReply> replies = [];
    private readonly List<(Func<ReceivedAdmissionReview, bool> Match, TaskCompletionSource<ReceivedAdmissionReview> Signal)> waiters = [];

    private TestWebhookServer(TestCertificateAuthority authority, X509Certificate2 certificate)
    {
        this.authority = authority;
        this.certificate = certificate;
        CaBundlePem = authority.CertificatePem;
    }

    /// <summary><c>https://127.0.0.1:&lt;port&gt;</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The CA certificate in PEM.</summary>
    public string CaBundlePem { get; }

    /// <summary>The value for <c>clientConfig.caBundle</c>: base64 of <see cref="CaBundlePem"/>.</summary>
    public string CaBundle => Convert.ToBase64String(Encoding.ASCII.GetBytes(CaBundlePem));

    /// <summary>Snapshot of the reviews received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedAdmissionReview> Received
    {
        get
        {
            lock (gate)
            {
                return [.. received];
            }
        }
    }

    /// <summary>Snapshot of the replies sent so far (requests that got no answer have none), in sending order.</summary>
    public IReadOnlyList<SentWebhookReply> Replies
    {
        get
        {
            lock (gate)
            {
                return [.. replies];
            }
        }
    }

    /// <summary>
    /// Starts the server. <paramref name="dnsNames"/> are added to the certificate besides <c>localhost</c> and
    /// 127.0.0.1, e.g. <c>kyverno-svc.kyverno.svc</c> for a webhook configured through a Service.
    /// </summary>
    public static async Task<TestWebhookServer> StartAsync(IEnumerable<string>? dnsNames = null, CancellationToken cancellationToken = default)
    {
        var authority = TestCertificateAuthority.Create();
        X509Certificate2? certificate = null;
        try
        {
            certificate = authority.IssueServerCertificate(["localhost", .. dnsNames ?? []], [IPAddress.Loopback]);
            var server = new TestWebhookServer(authority, certificate);
            server.listener = await server.ListenAsync(0, cancellationToken).ConfigureAwait(false);
            var address = server.listener.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            server.BaseAddress = new Uri(address);
            return server;
        }
        catch
        {
            certificate?.Dispose();
            authority.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops listening: connections to <see cref="BaseAddress"/> are refused (a webhook that is down, k8s-golden 52)
    /// and requests in progress are cut, until <see cref="ResumeListeningAsync"/>. Behaviours and records are kept.
    /// </summary>
    public async Task StopListeningAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref listener, null) is { } running)
        {
            await running.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Listens again on the same address (the port this server was given at start), with the same certificate.</summary>
    /// <exception cref="IOException">The port was taken by someone else in the meantime.</exception>
    public async Task ResumeListeningAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref listener) is not null)
        {
            return;
        }

        var resumed = await ListenAsync(BaseAddress.Port, cancellationToken).ConfigureAwait(false);
        if (Interlocked.CompareExchange(ref listener, resumed, null) is not null)
        {
            await resumed.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The https URL of a path on this server, for <c>clientConfig.url</c>.</summary>
    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <summary><c>{"url": ..., "caBundle": ...}</c> for a webhook served at <paramref name="path"/>.</summary>
    public JsonObject ClientConfig(string path) => new() { ["url"] = Url(path), ["caBundle"] = CaBundle };

    /// <summary>Answers requests to <paramref name="path"/> with <paramref name="behavior"/> (replacing any previous one).</summary>
    public void Map(string path, WebhookBehavior behavior)
    {
        ArgumentNullException.ThrowIfNull(behavior);
        behaviors[path] = behavior;
    }

    /// <summary>Completes with the first received review (already received or future) that satisfies <paramref name="match"/>.</summary>
    public async Task<ReceivedAdmissionReview> WaitForReviewAsync(Func<ReceivedAdmissionReview, bool>? match = null, CancellationToken cancellationToken = default)
    {
        match ??= _ => true;
        TaskCompletionSource<ReceivedAdmissionReview> signal;
        lock (gate)
        {
            if (received.FirstOrDefault(match) is { } already)
            {
                return already;
            }

            signal = new TaskCompletionSource<ReceivedAdmissionReview>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((match, signal));
        }

        await using (cancellationToken.Register(() => signal.TrySetCanceled(cancellationToken)).ConfigureAwait(false))
        {
            return await signal.Task.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync().ConfigureAwait(false);
        certificate.Dispose();
        authority.Dispose();
    }

    private async Task<Listener> ListenAsync(int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        var session = new Listener(app);
        app.Run(context => HandleAsync(context, session.Stopping.Token));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return session;
    }

    private async Task HandleAsync(HttpContext context, CancellationToken stopping)
    {
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var token = aborted.Token;
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, token).ConfigureAwait(false);
        JsonObject? body;
        try
        {
            body = JsonNode.Parse(buffer.ToArray()) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null)
        {
            await WriteTextAsync(context, 400, "request body is not a JSON object", token).ConfigureAwait(false);
            return;
        }

        var path = context.Request.Path.Value ?? "/";
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        Record(new ReceivedAdmissionReview(path, query, context.Request.ContentType, context.Request.Headers.Accept.ToString(), body));

        if (!behaviors.TryGetValue(path, out var behavior))
        {
            await WriteTextAsync(context, 404, "404 page not found\n", token).ConfigureAwait(false);
            return;
        }

        var review = new AdmissionReviewRequest(body);
        var reply = await behavior(review, token).ConfigureAwait(false);
        if (reply.Hang)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The caller gave up (its timeout) or the server is stopping: nothing to answer.
            }

            return;
        }

        if (reply.RawHttp is { } raw)
        {
            RecordReply(new SentWebhookReply(path, raw.StatusCode, raw.Body, null));
            context.Response.StatusCode = raw.StatusCode;
            context.Response.ContentType = raw.ContentType;
            await context.Response.WriteAsync(raw.Body, token).ConfigureAwait(false);
            return;
        }

        var answer = reply.RawReview?.DeepClone().AsObject() ?? Envelope(review, reply.Response!);
        var text = answer.ToJsonString();
        RecordReply(new SentWebhookReply(path, 200, text, answer));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), token).ConfigureAwait(false);
    }

    private void RecordReply(SentWebhookReply reply)
    {
        lock (gate)
        {
            replies.Add(reply);
        }
    }

    private static JsonObject Envelope(AdmissionReviewRequest review, JsonObject response)
    {
        var copy = response.DeepClone().AsObject();
        var withUid = new JsonObject();
        if (!copy.ContainsKey("uid"))
        {
            withUid["uid"] = review.Uid;
        }

        foreach (var (name, value) in copy.ToList())
        {
            copy.Remove(name);
            withUid[name] = value;
        }

        return new JsonObject
        {
            ["apiVersion"] = review.ApiVersion.Length > 0 ? review.ApiVersion : "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["response"] = withUid,
        };
    }

    private void Record(ReceivedAdmissionReview review)
    {
        lock (gate)
        {
            received.Add(review);
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                if (waiters[i].Match(review))
                {
                    waiters[i].Signal.TrySetResult(review);
                    waiters.RemoveAt(i);
                }
            }
        }
    }

    private static async Task WriteTextAsync(HttpContext context, int status, string text, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One listening period: the Kestrel app and the token that cuts its hanging requests when it stops.</summary>
    private sealed class Listener(WebApplication app) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;

        public CancellationTokenSource Stopping { get; } = new();

        public async ValueTask DisposeAsync()
        {
            await Stopping.CancelAsync().ConfigureAwait(false);
            await App.StopAsync().ConfigureAwait(false);
            await App.DisposeAsync().ConfigureAwait(false);
            Stopping.Dispose();
        }
    }
}
