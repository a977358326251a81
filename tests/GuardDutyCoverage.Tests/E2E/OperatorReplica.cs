using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using GuardDutyCoverage.Sandbox.Aws;
using GuardDutyCoverage.Tests.Aws;

namespace GuardDutyCoverage.Tests.E2E;

/// <summary>
/// One operator binary as a process against a sandbox (optionally with leader election); its identity and addresses
/// come from its JSON log, which is kept for the failure messages.
/// </summary>
internal sealed class OperatorReplica : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> log = new();
    private readonly TaskCompletionSource<(string Identity, Uri Probes, Uri Metrics)> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private string? identity;
    private Uri? probes;
    private Uri? metrics;

    private OperatorReplica(Process process)
    {
        this.process = process;
        _ = Task.Run(ReadAsync);
        _ = process.StandardError.ReadToEndAsync();
    }

    public string Identity => Started().Identity;

    /// <summary>Starts <c>run</c> with OS-chosen probe and metrics ports; with a lease namespace, with --leader-elect.</summary>
    public static OperatorReplica Start(LocalAws aws, string kubeconfig, string? leaseNamespace = null)
    {
        string[] args = ["run", "--kubeconfig", kubeconfig, "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0", "--log-format", "json"];
        IEnumerable<KeyValuePair<string, string>> environment = aws.Server.Environment(LocalAws.Region);
        if (leaseNamespace is not null)
        {
            args = [.. args, "--leader-elect"];
            environment = environment.Append(new KeyValuePair<string, string>("POD_NAMESPACE", leaseNamespace));
        }

        return new OperatorReplica(Process.Start(OperatorProcessTests.Operator(environment, args))!);
    }

    /// <summary>What the process logged so far (for failure messages).</summary>
    public string Log => string.Join('\n', log);

    public void Kill() => Process.Start("kill", ["-KILL", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public Task<HttpResponseMessage> GetAsync(string path) => http.GetAsync(new Uri(Started().Probes, path));

    /// <summary>informer_last_sync_age_seconds by informer.</summary>
    public async Task<IReadOnlyDictionary<string, double>> SyncAgesAsync()
    {
        var text = await http.GetStringAsync(new Uri(Started().Metrics, "/metrics"));
        var ages = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("informer_last_sync_age_seconds{", StringComparison.Ordinal)))
        {
            var labels = line[(line.IndexOf('{') + 1)..line.LastIndexOf('}')];
            ages[labels] = double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }

        return ages;
    }

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) until every informer is confirmed current (informer_last_sync_age_seconds 0: an event arrived
    /// or the watch stayed open 1 s) and, with <paramref name="readyz"/>, /readyz answers 200. Returns the ages seen.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, double>> WaitCurrentAsync(bool readyz, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var ages = await SyncAgesAsync();
            if (ages.Count > 0 && ages.Values.All(age => age == 0) && (!readyz || (int)(await GetAsync("/readyz")).StatusCode == 200))
            {
                return ages;
            }

            Assert.True(DateTime.UtcNow < deadline, "the informers never became current: " + string.Join(", ", ages.Select(a => $"{a.Key}={a.Value}")));
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        process.Dispose();
        http.Dispose();
    }

    private (string Identity, Uri Probes, Uri Metrics) Started() =>
        started.Task.WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();

    private async Task ReadAsync()
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            log.Enqueue(line);
            string message;
            try
            {
                message = JsonDocument.Parse(line).RootElement.GetProperty("Message").GetString() ?? "";
            }
            catch (JsonException)
            {
                continue;
            }

            if (message.StartsWith("Serving health probes on ", StringComparison.Ordinal))
            {
                probes = new Uri(message["Serving health probes on ".Length..]);
            }
            else if (message.StartsWith("Serving metrics on ", StringComparison.Ordinal))
            {
                metrics = new Uri(message["Serving metrics on ".Length..]);
            }
            else if (message.StartsWith("Manager started: ", StringComparison.Ordinal))
            {
                identity = message[(message.IndexOf("identity ", StringComparison.Ordinal) + "identity ".Length)..];
            }

            if (identity is not null && probes is not null && metrics is not null)
            {
                started.TrySetResult((identity, probes, metrics));
            }
        }

        started.TrySetException(new InvalidOperationException("the operator exited before starting:\n" + string.Join('\n', log)));
    }
}
