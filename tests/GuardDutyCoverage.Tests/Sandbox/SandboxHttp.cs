using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>A response as the tests look at it: status, content type, raw text and parsed JSON (when it is JSON).</summary>
internal sealed record SandboxResponse(int Status, string ContentType, string Text, IReadOnlyDictionary<string, string> Headers)
{
    public JsonNode? Json => Text.Length > 0 && (Text[0] == '{' || Text[0] == '[') ? JsonNode.Parse(Text) : null;

    public JsonObject Object => Json as JsonObject ?? throw new InvalidOperationException($"not a JSON object (status {Status}): {Text}");
}

/// <summary>Raw HTTP against a sandbox: exactly the bytes a client sends, no client library in between.</summary>
internal sealed class SandboxHttp : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly HttpClient _client;

    public SandboxHttp(SandboxServer sandbox, string? token = null)
    {
        _client = sandbox.CreateHttpClient(token);
        _client.Timeout = Patience;
    }

    public HttpClient Client => _client;

    public Task<SandboxResponse> GetAsync(string path, string? accept = null) => SendAsync(HttpMethod.Get, path, accept: accept);

    public Task<SandboxResponse> PostAsync(string path, JsonNode body, string? userAgent = null) =>
        SendAsync(HttpMethod.Post, path, body.ToJsonString(), "application/json", userAgent: userAgent);

    public Task<SandboxResponse> PutAsync(string path, JsonNode body) => SendAsync(HttpMethod.Put, path, body.ToJsonString(), "application/json");

    public Task<SandboxResponse> PatchAsync(string path, JsonNode body, string contentType = "application/merge-patch+json", string? userAgent = null) =>
        SendAsync(HttpMethod.Patch, path, body.ToJsonString(), contentType, userAgent: userAgent);

    public Task<SandboxResponse> DeleteAsync(string path, JsonNode? body = null) =>
        SendAsync(HttpMethod.Delete, path, body?.ToJsonString(), body is null ? null : "application/json");

    public async Task<SandboxResponse> SendAsync(HttpMethod method, string path, string? body = null, string? contentType = null, string? accept = null, string? userAgent = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType ?? "application/json");
        }

        request.Headers.TryAddWithoutValidation("Accept", accept ?? "application/json");
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        using var response = await _client.SendAsync(request).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        var headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return new SandboxResponse((int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? string.Empty, text, headers);
    }

    public Task<WatchReader> WatchAsync(string pathAndQuery) => WatchReader.OpenAsync(_client, pathAndQuery);

    public void Dispose() => _client.Dispose();
}

/// <summary>Reads a watch stream line by line as events arrive.</summary>
internal sealed class WatchReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private WatchReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public int Status => (int)_response.StatusCode;

    public string ContentType => _response.Content.Headers.ContentType?.ToString() ?? string.Empty;

    public static async Task<WatchReader> OpenAsync(HttpClient client, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery.TrimStart('/'));
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        return new WatchReader(response, new StreamReader(stream));
    }

    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<JsonObject?> NextAsync()
    {
        var line = await _reader.ReadLineAsync().WaitAsync(SandboxHttp.Patience).ConfigureAwait(false);
        return line is null ? null : (JsonObject)JsonNode.Parse(line)!;
    }

    public async Task<List<JsonObject>> NextAsync(int count)
    {
        var events = new List<JsonObject>();
        for (var i = 0; i < count; i++)
        {
            events.Add(await NextAsync().ConfigureAwait(false) ?? throw new InvalidOperationException($"the stream ended after {events.Count} of {count} events"));
        }

        return events;
    }

    public async Task<List<JsonObject>> ReadToEndAsync()
    {
        var events = new List<JsonObject>();
        while (await NextAsync().ConfigureAwait(false) is { } next)
        {
            events.Add(next);
        }

        return events;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The real kubectl as a child process against a sandbox, with its own discovery cache.</summary>
internal sealed class Kubectl : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sandbox-kubectl-").FullName;

    public Kubectl(SandboxServer sandbox)
    {
        Kubeconfig = Path.Combine(_directory, "kubeconfig");
        sandbox.WriteKubeconfig(Kubeconfig);
    }

    public string Kubeconfig { get; }

    public static string? Path_ { get; } = FindOnPath("kubectl");

    public static bool Available => Path_ is not null;

    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Path_ ?? throw new InvalidOperationException("kubectl is not on PATH"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.TestData("k8s-golden"),
        };
        foreach (var arg in new[] { "--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(_directory, "cache") }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
