using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using k8s;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>One request as the scripted server received it.</summary>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, string? ContentType, string? Authorization, string Body)
{
    public string? Q(string name) => Query.GetValueOrDefault(name);

    public bool IsWatch => Q("watch") == "true";

    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);
}

/// <summary>
/// A Kestrel server on 127.0.0.1:0 that answers with scripted responses (usually bodies from the k8s-golden
/// recordings), records every request, and can stream watch events, drop connections and return errors.
/// Requests are matched against the script in order; a step marked once is consumed by its first match.
/// An unscripted request gets a 599 and is recorded in <see cref="Unscripted"/>.
/// </summary>
public sealed class ScriptedApiServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly List<Step> steps = [];
    private readonly List<(Func<RecordedRequest, bool> Match, TaskCompletionSource<RecordedRequest> Signal)> waiters = [];
    private readonly Lock gate = new();

    private ScriptedApiServer(WebApplication app)
    {
        this.app = app;
    }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public ConcurrentQueue<RecordedRequest> Unscripted { get; } = new();

    public Uri Url { get; private set; } = null!;

    public static async Task<ScriptedApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var application = builder.Build();
        var server = new ScriptedApiServer(application);
        application.Run(server.HandleAsync);
        await application.StartAsync();
        server.Url = new Uri(application.Urls.First());
        return server;
    }

    public KubernetesClientConfiguration Configuration => new() { Host = Url.ToString(), AccessToken = "scripted-token" };

    public Kubernetes CreateKubernetes() => new(Configuration);

    /// <summary>Adds a step; <paramref name="once"/> steps are consumed by their first match.</summary>
    public ScriptedApiServer On(Func<RecordedRequest, bool> match, Func<HttpContext, RecordedRequest, Task> respond, bool once = true)
    {
        lock (gate)
        {
            steps.Add(new Step(match, respond, once));
        }

        return this;
    }

    public ScriptedApiServer OnJson(string method, string path, int status, JsonNode? body, bool once = true, Func<RecordedRequest, bool>? also = null) =>
        On(r => r.Method == method && r.Path == path && (also?.Invoke(r) ?? true), (c, _) => RespondJsonAsync(c, status, body), once);

    public ScriptedApiServer OnGolden(string golden, Func<RecordedRequest, bool>? also = null, bool once = true)
    {
        var exchange = Golden.Load(golden);
        return On(
            r => r.Method == exchange.Method && r.Path == exchange.Path && (also?.Invoke(r) ?? true),
            (c, _) => exchange.IsWatch ? StreamAsync(c, exchange.WatchLines, WatchEnd.Close) : RespondGoldenAsync(c, exchange),
            once);
    }

    /// <summary>Serves a watch on <paramref name="path"/> streaming <paramref name="lines"/>, then ends as told.</summary>
    public ScriptedApiServer OnWatch(string path, IEnumerable<string> lines, WatchEnd end = WatchEnd.Close, Task? closeWhen = null, Func<RecordedRequest, bool>? also = null, bool once = true) =>
        On(r => r.Method == "GET" && r.Path == path && r.IsWatch && (also?.Invoke(r) ?? true), (c, _) => StreamAsync(c, [.. lines], end, closeWhen), once);

    /// <summary>Completes when a request matching <paramref name="match"/> arrives (or has arrived).</summary>
    public Task<RecordedRequest> WaitForAsync(Func<RecordedRequest, bool> match, int count = 1)
    {
        lock (gate)
        {
            var seen = Requests.Where(match).ToList();
            if (seen.Count >= count)
            {
                return Task.FromResult(seen[count - 1]);
            }

            var signal = new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
            var remaining = count - seen.Count;
            var counter = 0;
            waiters.Add((r => match(r) && ++counter >= remaining, signal));
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    public static async Task RespondJsonAsync(HttpContext context, int status, JsonNode? body, IDictionary<string, string>? headers = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.WriteAsync(body?.ToJsonString() ?? "", context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static Task RespondGoldenAsync(HttpContext context, Golden exchange)
    {
        if (exchange.ResponseBody is JsonValue text && text.TryGetValue<string>(out var plain))
        {
            context.Response.StatusCode = exchange.Status;
            context.Response.ContentType = exchange.ContentType;
            return context.Response.WriteAsync(plain, context.RequestAborted);
        }

        return RespondJsonAsync(context, exchange.Status, exchange.ResponseBody);
    }

    private static async Task StreamAsync(HttpContext context, IReadOnlyList<string> lines, WatchEnd end, Task? closeWhen = null)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);

        // kube-apiserver's watch handler flushes the headers at once (a quiet watch is still an open watch).
        await context.Response.Body.FlushAsync(context.RequestAborted);
        foreach (var line in lines)
        {
            await context.Response.WriteAsync(line + "\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        switch (end)
        {
            case WatchEnd.Abort:
                // A reset can discard data the client has not read yet: let the test say when it has.
                if (closeWhen is not null)
                {
                    await Task.WhenAny(closeWhen, Task.Delay(Timeout.Infinite, context.RequestAborted));
                }

                context.Abort();
                break;
            case WatchEnd.Hold:
                // Like a quiet watch: keep the connection open until the test releases it or the client goes away.
                var released = closeWhen ?? Task.Delay(Timeout.Infinite, context.RequestAborted);
                await Task.WhenAny(released, Task.Delay(Timeout.Infinite, context.RequestAborted));
                break;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var request = new RecordedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
            context.Request.ContentType,
            context.Request.Headers.Authorization.ToString(),
            body);
        Step? step;
        List<TaskCompletionSource<RecordedRequest>> signals = [];
        lock (gate)
        {
            Requests.Enqueue(request);
            step = steps.FirstOrDefault(s => s.Match(request));
            if (step is { Once: true })
            {
                steps.Remove(step);
            }

            foreach (var waiter in waiters.ToList())
            {
                if (waiter.Match(request))
                {
                    waiters.Remove(waiter);
                    signals.Add(waiter.Signal);
                }
            }
        }

        foreach (var signal in signals)
        {
            signal.TrySetResult(request);
        }

        if (step is null)
        {
            Unscripted.Enqueue(request);
            context.Response.StatusCode = 599;
            await context.Response.WriteAsync($"unscripted {request.Method} {request.Path}", context.RequestAborted);
            return;
        }

        try
        {
            await step.Respond(context, request);
        }
        catch (OperationCanceledException)
        {
            // The client went away mid-response: that is what several tests provoke.
        }
    }

    private sealed record Step(Func<RecordedRequest, bool> Match, Func<HttpContext, RecordedRequest, Task> Respond, bool Once);
}

public enum WatchEnd
{
    /// <summary>Close the stream normally (as after timeoutSeconds).</summary>
    Close,

    /// <summary>Reset the connection mid-stream.</summary>
    Abort,

    /// <summary>Keep the stream open until released or the client disconnects.</summary>
    Hold,
}

/// <summary>One exchange of tests/testdata/k8s-golden.</summary>
public sealed class Golden
{
    private Golden(JsonNode root)
    {
        Root = root;
    }

    public JsonNode Root { get; }

    public string Method => Root["request"]!["method"]!.GetValue<string>();

    public string Path => Root["request"]!["path"]!.GetValue<string>();

    public JsonObject Query => Root["request"]!["query"]!.AsObject();

    public JsonNode? RequestBody => Root["request"]!["body"];

    public int Status => Root["response"]!["status"]!.GetValue<int>();

    public string ContentType => Root["response"]!["headers"]?["Content-Type"]?.GetValue<string>() ?? "application/json";

    public JsonNode? ResponseBody => Root["response"]!["body"];

    public bool IsWatch => Query["watch"]?.GetValue<string>() == "true";

    /// <summary>The watch stream as the server sent it: one JSON document per line.</summary>
    public IReadOnlyList<string> WatchLines => [.. ResponseBody!.AsArray().Select(e => e!.ToJsonString())];

    public static Golden Load(string prefix)
    {
        var directory = RepoPaths.TestData("k8s-golden");
        var file = Directory.GetFiles(directory, prefix + "-*.json").Single();
        return new Golden(JsonNode.Parse(File.ReadAllText(file))!);
    }
}
