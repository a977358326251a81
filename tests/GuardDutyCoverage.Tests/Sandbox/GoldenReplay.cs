using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubeSandbox;
using KubeSandbox.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary>One recorded exchange of tests/testdata/k8s-golden and how the replay treats it.</summary>
internal sealed record GoldenExchange(int Number, string Name, JsonObject Document)
{
    public JsonObject Request => (JsonObject)Document["request"]!;

    public JsonObject Response => (JsonObject)Document["response"]!;

    public string Method => (string)Request["method"]!;

    public bool IsWatch => Request["query"]?["watch"]?.GetValue<string>() == "true";
}

/// <summary>The outcome of one exchange: PASS, FAIL (with differences) or SKIP (not replayed, and why).</summary>
internal sealed record GoldenResult(int Number, string Name, string Outcome, string? Reason, IReadOnlyList<string> Differences);

/// <summary>
/// Replays the k8s-golden exchanges in order against one fresh sandbox with every module plugged in (the default), maps
/// recorded resourceVersions and uids to the sandbox's own (learned from each response), normalizes both sides per the
/// recordings' README and compares. The recording's webhook (52-61) is a <see cref="TestWebhookServer"/> that behaves
/// as it did; its URL and CA replace the recorded ones, and 60/61 are compared with what it received.
/// </summary>
internal sealed partial class GoldenReplay : IAsyncDisposable
{
    /// <summary>The recorded webhook's URL (k8s-golden 50) and its denial (README: DaemonSets in amazon-guardduty, code 403).</summary>
    private const string RecordedWebhookAddress = "127.0.0.1:9443";
    private const string WebhookPath = "/validate";
    private const string WebhookDenial = "policy DaemonSet/amazon-guardduty/aws-guardduty-agent for resource violation: restrict-image-registries";

    /// <summary>The user of the recordings: a static token for admin (uid admin-uid) in system:masters.</summary>
    private static readonly UserInfo RecordedAdmin = new("admin", ["system:masters", "system:authenticated"], "admin-uid");

    private static readonly DateTimeOffset RecordingStart = new(2026, 11, 26, 16, 51, 42, TimeSpan.Zero);

    /// <summary>82 onwards were recorded on 2026-12-05 against a freshly started server of the same setup (the README).</summary>
    private const int SecondSessionStart = 82;
    private static readonly DateTimeOffset SecondSessionRecordingStart = new(2026, 12, 5, 19, 51, 59, TimeSpan.Zero);

    /// <summary>The namespace of the ConfigMaps of 82-95.</summary>
    private const string GoldenConfigMaps = "api/v1/namespaces/golden/configmaps";

    private readonly Dictionary<string, string> _rvs = [];
    private readonly Dictionary<string, string> _uids = [];
    private readonly List<GoldenResult> _results = [];
    private FakeTimeProvider _time = null!;
    private SandboxServer _sandbox = null!;
    private SandboxHttp _http = null!;
    private TestWebhookServer _webhook = null!;
    private string? _recordedCaBundle;

    public IReadOnlyList<GoldenResult> Results => _results;

    public static IReadOnlyList<GoldenExchange> Load()
    {
        var directory = RepoPaths.TestData("k8s-golden");
        return Directory.GetFiles(directory, "*.json")
            .Select(Path.GetFileName)
            .Where(f => NumberPrefix().IsMatch(f!))
            .Select(f => (Number: int.Parse(f![..f!.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture), File: f!))
            .OrderBy(f => f.Number) // numbers go past 99: by the numeric prefix, not by name
            .Select(f => new GoldenExchange(f.Number, f.File, (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(directory, f.File)))!))
            .ToList();
    }

    public async Task RunAsync()
    {
        _webhook = await TestWebhookServer.StartAsync();
        _webhook.Map(WebhookPath, (review, _) => ValueTask.FromResult(
            review.Kind == "DaemonSet" && review.Namespace == "amazon-guardduty" ? WebhookReply.Deny(WebhookDenial, 403) : WebhookReply.Allow()));
        await StartSessionAsync(RecordingStart);
        var kubectlDone = false;
        foreach (var exchange in Load())
        {
            if (exchange.Number > 68 && !kubectlDone)
            {
                kubectlDone = true;
                await ReplayKubectlTracesAsync();
            }

            await RunExchangeAsync(exchange);
        }
    }

    /// <summary>
    /// A recording session is one kube-apiserver + etcd: a fresh sandbox with its own clock. The recorded
    /// resourceVersions and uids of a session mean nothing in the next, so their mapping starts over.
    /// </summary>
    private async Task StartSessionAsync(DateTimeOffset start)
    {
        _http?.Dispose();
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        _rvs.Clear();
        _uids.Clear();
        _time = new FakeTimeProvider(start);
        _sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            TimeProvider = _time,
            ServiceAccountController = false, // the recordings' server ran without kube-controller-manager
            Users = new Dictionary<string, UserInfo> { [SandboxOptions.DefaultAdminToken] = RecordedAdmin },
        });
        _http = new SandboxHttp(_sandbox);
    }

    private bool _kubectlStateReady;

    /// <summary>69-77 are kubectl traces: run the same kubectl commands, so 78-81 see the state they left.</summary>
    private async Task ReplayKubectlTracesAsync()
    {
        if (!Kubectl.Available)
        {
            return;
        }

        using var kubectl = new Kubectl(_sandbox);
        var apply = await kubectl.RunAsync("apply", "-f", "widget-crd.yaml");
        var widget = await kubectl.RunAsync("apply", "-f", "widget.yaml");
        var patch = await kubectl.RunAsync("patch", "widget", "sample", "--subresource=status", "--type=merge", "-p", KubectlTests.ReadyPatch);
        _kubectlStateReady = apply.ExitCode == 0 && widget.ExitCode == 0 && patch.ExitCode == 0;
    }

    private async Task RunExchangeAsync(GoldenExchange exchange)
    {
        if (exchange.Number is >= 79 and < SecondSessionStart && !_kubectlStateReady)
        {
            _results.Add(new GoldenResult(exchange.Number, exchange.Name, "SKIP", "needs kubectl on PATH for the state of the kubectl traces 69-71", []));
            return;
        }

        if (exchange.Number is 60 or 61)
        {
            _results.Add(CompareWebhookSide(exchange));
            return;
        }

        await BeforeAsync(exchange.Number);
        var (status, contentType, body, warning) = exchange.IsWatch ? await WatchAsync(exchange) : await SendAsync(exchange);
        var expected = Recorded(exchange.Response["body"]);
        var differences = new List<string>();
        var sortItems = FromWatchCache(exchange.Request);
        Learn(sortItems ? ItemsByName(expected) : expected, sortItems ? ItemsByName(body) : body, differences);
        var expectedStatus = (int)exchange.Response["status"]!;
        if (status != expectedStatus)
        {
            differences.Add($"status: expected {expectedStatus}, got {status}");
        }

        var expectedType = exchange.Response["headers"]?["Content-Type"]?.GetValue<string>() ?? string.Empty;
        if (!SameMediaType(expectedType, contentType))
        {
            differences.Add($"Content-Type: expected {expectedType}, got {contentType}");
        }

        // From 96 on the recordings keep the Warning header where the server sent one (README), so its absence counts too.
        var expectedWarning = exchange.Response["headers"]?["Warning"]?.GetValue<string>();
        if ((expectedWarning is not null || exchange.Number >= 96) && expectedWarning != warning)
        {
            differences.Add($"Warning: expected {expectedWarning ?? "none"}, got {warning ?? "none"}");
        }
        Compare("$", Normalize(expected?.DeepClone(), sortItems), Normalize(body?.DeepClone(), sortItems), differences);
        _results.Add(new GoldenResult(exchange.Number, exchange.Name, differences.Count == 0 ? "PASS" : "FAIL", null, differences));
    }

    /// <summary>
    /// 60 and 61 were captured on the webhook's side: the request the apiserver sent (path, query, headers, AdmissionReview)
    /// and the webhook's reply. They are compared with what the test webhook received during 54 and 57 and what it sent back.
    /// </summary>
    private GoldenResult CompareWebhookSide(GoldenExchange exchange)
    {
        var recorded = exchange.Request["body"]!["request"]!;
        var operation = recorded["operation"]!.GetValue<string>();
        var ns = recorded["namespace"]!.GetValue<string>();
        var differences = new List<string>();
        var received = _webhook.Received
            .Select((review, index) => (Review: review, Index: index))
            .Where(r => r.Review.Review.Operation == operation && r.Review.Review.Namespace == ns && r.Review.Review.DryRun)
            .ToList();
        if (received.Count != 1)
        {
            differences.Add($"the webhook received {received.Count} dry-run {operation} reviews in {ns}, expected 1");
            return new GoldenResult(exchange.Number, exchange.Name, "FAIL", null, differences);
        }

        var (review, index) = received[0];
        if (exchange.Request["path"]!.GetValue<string>() != review.Path)
        {
            differences.Add($"path: expected {exchange.Request["path"]}, got {review.Path}");
        }

        var query = new JsonObject([.. review.Query.Select(q => KeyValuePair.Create(q.Key, (JsonNode?)JsonValue.Create(q.Value)))]);
        Compare("query", exchange.Request["query"]!.DeepClone(), query, differences);
        if (exchange.Request["headers"]!["Accept"]!.GetValue<string>() != review.Accept)
        {
            differences.Add($"Accept: expected {exchange.Request["headers"]!["Accept"]}, got {review.Accept}");
        }

        if (exchange.Request["headers"]!["Content-Type"]!.GetValue<string>() != review.ContentType)
        {
            differences.Add($"Content-Type: expected {exchange.Request["headers"]!["Content-Type"]}, got {review.ContentType}");
        }

        Compare("request.body", Normalize(Recorded(exchange.Request["body"]), sortItems: false), Normalize(review.Body.DeepClone(), sortItems: false), differences);

        // Replies are recorded in the order the reviews were answered; every review here is answered.
        var reply = _webhook.Replies[index];
        if (reply.StatusCode != (int)exchange.Response["status"]!)
        {
            differences.Add($"response status: expected {exchange.Response["status"]}, got {reply.StatusCode}");
        }

        Compare("response.body", Normalize(Recorded(exchange.Response["body"]), sortItems: false), Normalize(reply.Body?.DeepClone(), sortItems: false), differences);
        return new GoldenResult(exchange.Number, exchange.Name, differences.Count == 0 ? "PASS" : "FAIL", null, differences);
    }

    /// <summary>A recorded body with the recorded webhook's address and CA replaced by the test webhook's.</summary>
    private JsonNode? Recorded(JsonNode? body)
    {
        if (body is null)
        {
            return null;
        }

        var text = body.ToJsonString().Replace(RecordedWebhookAddress, _webhook.BaseAddress.Authority, StringComparison.Ordinal);
        if (_recordedCaBundle is not null)
        {
            text = text.Replace(_recordedCaBundle, _webhook.CaBundle, StringComparison.Ordinal);
        }

        return JsonNode.Parse(text);
    }

    /// <summary>A copy of a list with its items sorted by name (watch-cache order is not comparable).</summary>
    private static JsonNode? ItemsByName(JsonNode? list)
    {
        if (list?.DeepClone() is not JsonObject copy || copy["items"] is not JsonArray items)
        {
            return list;
        }

        copy["items"] = new JsonArray(items.Select(i => i!.DeepClone()).OrderBy(i => i["metadata"]?["name"]?.GetValue<string>(), StringComparer.Ordinal).ToArray());
        return copy;
    }

    /// <summary>
    /// Whether kube-apiserver v1.24 serves the LIST from its watch cache (the README: item order there is not
    /// sorted, so both sides are compared sorted): a resourceVersion, no continue token, not Exact, and either "0" or
    /// no limit (a limit with another resourceVersion reads etcd).
    /// </summary>
    private static bool FromWatchCache(JsonObject request)
    {
        string? Query(string name) => request["query"]?[name]?.GetValue<string>();
        var rv = Query("resourceVersion");
        return (string)request["method"]! == "GET" && Query("watch") is null && !string.IsNullOrEmpty(rv) && string.IsNullOrEmpty(Query("continue"))
            && Query("resourceVersionMatch") != "Exact" && (rv == "0" || string.IsNullOrEmpty(Query("limit")));
    }

    /// <summary>Writes that happened between recorded exchanges without being recorded themselves (see the files' notes).</summary>
    private async Task BeforeAsync(int number)
    {
        switch (number)
        {
            case SecondSessionStart:
                // "a type that was written once": namespace golden and ConfigMap cm-a (no User-Agent: manager unknown).
                await StartSessionAsync(SecondSessionRecordingStart);
                await Check(_http.PostAsync("api/v1/namespaces", new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Namespace",
                    ["metadata"] = new JsonObject { ["name"] = "golden" },
                }));
                await Check(_http.PostAsync(GoldenConfigMaps, ConfigMap("cm-a", "1")));
                break;
            case 83:
                // "resourceVersion 58 was read before cm-b was created".
                await Check(_http.PostAsync(GoldenConfigMaps, ConfigMap("cm-b", "2")));
                break;
            case 87:
                // 87 pages through five ConfigMaps (remainingItemCount 3): cm-p0..2 were created after 86.
                foreach (var (name, value) in new[] { ("cm-p0", "0"), ("cm-p1", "1"), ("cm-p2", "2") })
                {
                    await Check(_http.PostAsync(GoldenConfigMaps, ConfigMap(name, value)));
                }

                break;
            case 88:
                // "after etcdctl compact past it": cm-after-compact (63) gives a revision past the token's (62); etcd
                // is compacted at the current revision.
                await Check(_http.PostAsync(GoldenConfigMaps, ConfigMap("cm-after-compact", "x")));
                _sandbox.Faults.CompactStorage(long.Parse(_sandbox.Cluster.ResourceVersion, CultureInfo.InvariantCulture));
                break;
            case 91:
                // "between 90 and 91 only kube-apiserver was stopped and started again, etcd kept running" (6 s).
                _sandbox.Faults.StopApiServer();
                _time.Advance(TimeSpan.FromSeconds(6));
                _sandbox.Faults.StartApiServer();
                break;
            case 92:
                // "the ConfigMap created after the restart is absent".
                await Check(_http.PostAsync(GoldenConfigMaps, ConfigMap("cm-after-restart", "r")));
                break;
            case 52:
                // "while the webhook server (failurePolicy Fail) is not listening". The webhook exchanges happened
                // 26 s after 38-51 (the times in 57, 60, 61); managedFields entries are ordered by time.
                _time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 16, 53, 33, TimeSpan.Zero));
                await _webhook.StopListeningAsync();
                break;
            case 53:
                await _webhook.ResumeListeningAsync();
                break;
            case 34:
                // "Before this request etcd was compacted at revision 212": w4 was created and patched three times
                // (209-212, manager unknown), then etcd compacted; the watch cache still holds the events.
                await Check(_http.PostAsync("apis/example.com/v1/widgets", Widget("w4", 1, "us-west-2")));
                foreach (var size in new[] { 2, 3, 4 })
                {
                    await Check(_http.PatchAsync("apis/example.com/v1/widgets/w4", new JsonObject { ["spec"] = new JsonObject { ["size"] = size } }));
                }

                _sandbox.Faults.CompactStorage();
                break;
            case 96:
                // 96-115 were recorded on 2026-12-05 on a server where amazon-guardduty did not exist and no webhook
                // was configured: remove what 38-59 left, if this sandbox saw them.
                // Its resourceVersions restart (the namespace of 96 is 58, a number 82-95 already used): a third session.
                await StartSessionAsync(new DateTimeOffset(2026, 12, 5, 20, 20, 32, TimeSpan.Zero));
                break;
            case 97:
                // Unrecorded setup of that session, visible in 102's pod: the agent's PriorityClass (priority 1000000,
                // Never) and, with no kube-controller-manager, the namespace's default ServiceAccount that the
                // ServiceAccount admission plugin looks up for every pod (102's pod mounts its token).
                await Check(_http.PostAsync("apis/scheduling.k8s.io/v1/priorityclasses", new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = "aws-guardduty-agent.priorityclass" },
                    ["value"] = 1000000,
                    ["preemptionPolicy"] = "Never",
                }), tolerated: 409);
                await Check(_http.PostAsync("api/v1/namespaces/amazon-guardduty/serviceaccounts", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "default" } }), tolerated: 409);
                break;
            case 100:
                // The title of 100: "With pod-security.kubernetes.io/warn=restricted added" (101's response shows the label).
                await Check(_http.PatchAsync("api/v1/namespaces/amazon-guardduty", JsonNode.Parse("""{"metadata":{"labels":{"pod-security.kubernetes.io/warn":"restricted"}}}""")!));
                break;
            case 80:
                // "after creating zeta, alpha, mid in that order".
                foreach (var name in new[] { "zeta", "alpha", "mid" })
                {
                    await Check(_http.PostAsync("apis/example.com/v1/widgets", new JsonObject
                    {
                        ["apiVersion"] = "example.com/v1",
                        ["kind"] = "Widget",
                        ["metadata"] = new JsonObject { ["name"] = name },
                        ["spec"] = new JsonObject { ["size"] = 1 },
                    }));
                }

                break;
        }
    }

    private static JsonObject ConfigMap(string name, string value) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["data"] = new JsonObject { ["k"] = value },
    };

    private static JsonObject Widget(string name, int size, string region) => new()
    {
        ["apiVersion"] = "example.com/v1",
        ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["size"] = size, ["region"] = region },
    };

    private static async Task Check(Task<SandboxResponse> call, int? tolerated = null)
    {
        var response = await call;
        if (response.Status >= 300 && response.Status != tolerated)
        {
            throw new InvalidOperationException($"replay setup write failed: {response.Status} {response.Text}");
        }
    }

    private async Task<(int Status, string ContentType, JsonNode? Body, string? Warning)> SendAsync(GoldenExchange exchange)
    {
        var request = exchange.Request;
        var path = (string)request["path"]! + Query(request);
        var accept = request["headers"]?["Accept"]?.GetValue<string>();
        var contentType = request["headers"]?["Content-Type"]?.GetValue<string>();
        string? body = request["body"] switch
        {
            null => null,
            JsonValue text when text.TryGetValue<string>(out var yaml) => yaml,
            JsonNode json => MapBody(json.DeepClone()).ToJsonString(),
        };
        var response = await _http.SendAsync(new HttpMethod(exchange.Method), path, body, contentType, accept);
        JsonNode? parsed = response.ContentType.StartsWith("application/json", StringComparison.Ordinal) ? response.Json : JsonValue.Create(response.Text);
        return (response.Status, response.ContentType, parsed, response.Headers.GetValueOrDefault("Warning"));
    }

    private async Task<(int Status, string ContentType, JsonNode? Body, string? Warning)> WatchAsync(GoldenExchange exchange)
    {
        var path = (string)exchange.Request["path"]! + Query(exchange.Request);
        await using var watch = await _http.WatchAsync(path);
        var events = new List<JsonObject>();
        switch (exchange.Number)
        {
            case 33:
                // "while another process creates w3, patches its spec, patches its status and deletes it" (curl).
                const string curl = "curl/8.5.0";
                await Check(_http.PostAsync("apis/example.com/v1/widgets", Widget("w3", 1, "ap-south-1"), curl));
                await Check(_http.PatchAsync("apis/example.com/v1/widgets/w3", new JsonObject { ["spec"] = new JsonObject { ["size"] = 2 } }, userAgent: curl));
                var status = JsonNode.Parse("""{"status":{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True","reason":"AgentsHealthy","message":"ok","lastTransitionTime":"2026-11-26T12:00:00Z","observedGeneration":2}]}}""")!;
                await Check(_http.PatchAsync("apis/example.com/v1/widgets/w3/status", status, userAgent: curl));
                await Check(_http.SendAsync(HttpMethod.Delete, "apis/example.com/v1/widgets/w3", userAgent: curl));
                events.AddRange(await watch.NextAsync(4));
                _time.Advance(TimeSpan.FromSeconds(3)); // the bookmark comes 2s before the 5s timeout
                events.AddRange(await watch.NextAsync(1));
                _time.Advance(TimeSpan.FromSeconds(2));
                events.AddRange(await watch.ReadToEndAsync());
                break;
            case 34:
                events.AddRange(await watch.NextAsync(8));
                _time.Advance(TimeSpan.FromSeconds(2));
                events.AddRange(await watch.ReadToEndAsync());
                break;
            case 79:
                events.AddRange(await watch.NextAsync(1));
                _time.Advance(TimeSpan.FromSeconds(2));
                events.AddRange(await watch.ReadToEndAsync());
                break;
            default:
                // Whatever the server sends at once, then its timeout ends the stream (a 410 ERROR ends it at once).
                if (exchange.Request["query"]?["timeoutSeconds"]?.GetValue<string>() is { } timeout)
                {
                    _time.Advance(TimeSpan.FromSeconds(int.Parse(timeout, CultureInfo.InvariantCulture)));
                }

                events.AddRange(await watch.ReadToEndAsync());
                break;
        }

        return (watch.Status, watch.ContentType, new JsonArray(events.Select(e => (JsonNode?)e).ToArray()), null);
    }

    private string Query(JsonObject request)
    {
        if (request["query"] is not JsonObject query || query.Count == 0)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        foreach (var (key, value) in query)
        {
            var text = value!.GetValue<string>();
            if (text.Contains('%', StringComparison.Ordinal))
            {
                // 115 recorded its fieldSelector as it was written into the URL, already escaped.
                text = Uri.UnescapeDataString(text);
            }

            if (key == "resourceVersion")
            {
                text = MapRv(text);
            }
            else if (key == "continue" && ContinueToken.Decode(text) is { } token)
            {
                // The token pins the recorded revision of its first page: the sandbox's is the mapped one.
                text = (token with { Rv = token.Rv > 0 ? long.Parse(MapRv(token.Rv.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture) : token.Rv }).Encode();
            }

            parts.Add($"{Uri.EscapeDataString(key)}={Uri.EscapeDataString(text)}");
        }

        return "?" + string.Join("&", parts);
    }

    private JsonNode MapBody(JsonNode body)
    {
        if (body is JsonObject { } configuration && configuration["webhooks"]?[0]?["clientConfig"] is JsonObject clientConfig && clientConfig["url"] is not null)
        {
            _recordedCaBundle = clientConfig["caBundle"]?.GetValue<string>();
            clientConfig["url"] = _webhook.Url(WebhookPath);
            clientConfig["caBundle"] = _webhook.CaBundle;
        }

        if (body is JsonObject { } bodyObject && bodyObject["metadata"] is JsonObject metadata)
        {
            if (metadata["resourceVersion"]?.GetValue<string>() is { } rv)
            {
                metadata["resourceVersion"] = MapRv(rv);
            }

            if (metadata["uid"]?.GetValue<string>() is { } uid && _uids.TryGetValue(uid, out var mapped))
            {
                metadata["uid"] = mapped;
            }
        }

        return body;
    }

    /// <summary>A recorded RV seen in an earlier response maps to the sandbox's; an older unknown one to "1".</summary>
    private string MapRv(string recorded)
    {
        if (recorded == "0")
        {
            return recorded;
        }

        if (_rvs.TryGetValue(recorded, out var mapped))
        {
            return mapped;
        }

        var number = long.Parse(recorded, CultureInfo.InvariantCulture);
        var below = _rvs.Keys.Select(k => long.Parse(k, CultureInfo.InvariantCulture)).Where(k => k < number).DefaultIfEmpty(-1).Max();
        return below < 0 ? "1" : _rvs[below.ToString(CultureInfo.InvariantCulture)];
    }

    /// <summary>
    /// Learns the recorded-to-sandbox mapping of resourceVersions and uids from same-shaped trees (including the two
    /// revisions of a "too old resource version: N (M)" message). Values are not compared, but their identities are
    /// within a session: a revision the recording shows again (an Exact list at an old revision, 83 and 92; the
    /// revision a restarted watch cache starts at, 91 and 95) must come back from the sandbox as the same revision.
    /// </summary>
    private void Learn(JsonNode? expected, JsonNode? actual, List<string> differences)
    {
        void Map(Dictionary<string, string> map, string what, string recorded, string sandbox)
        {
            if (!map.TryAdd(recorded, sandbox) && map[recorded] != sandbox)
            {
                differences.Add($"{what}: the recording's {recorded} was the sandbox's {map[recorded]} before, now {sandbox}");
            }
        }

        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var (key, value) in e)
                {
                    if (!a.TryGetPropertyValue(key, out var other))
                    {
                        continue;
                    }

                    if (key is "resourceVersion" or "uid" && value is JsonValue ev && ev.TryGetValue<string>(out var recorded) && other is JsonValue av && av.TryGetValue<string>(out var sandbox) && recorded.Length > 0)
                    {
                        Map(key == "uid" ? _uids : _rvs, key, recorded, sandbox);
                    }
                    else if (key == "message" && value is JsonValue em && em.TryGetValue<string>(out var recordedMessage) && other is JsonValue am && am.TryGetValue<string>(out var sandboxMessage)
                        && TooOldMessage().Match(recordedMessage) is { Success: true } recordedRvs && TooOldMessage().Match(sandboxMessage) is { Success: true } sandboxRvs)
                    {
                        Map(_rvs, "resourceVersion in the message", recordedRvs.Groups[1].Value, sandboxRvs.Groups[1].Value);
                        Map(_rvs, "oldest resourceVersion in the message", recordedRvs.Groups[2].Value, sandboxRvs.Groups[2].Value);
                    }
                    else
                    {
                        Learn(value, other, differences);
                    }
                }

                break;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
                {
                    Learn(e[i], a[i], differences);
                }

                break;
        }
    }

    private static bool SameMediaType(string expected, string actual) =>
        string.Equals(expected.Replace(" ", string.Empty, StringComparison.Ordinal), actual.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);

    /// <summary>The README's normalization: server-assigned identities and times, build metadata, cache order.</summary>
    internal static JsonNode? Normalize(JsonNode? node, bool sortItems)
    {
        Walk(node, (node as JsonObject)?["kind"]?.GetValue<string>());
        if (node is JsonObject obj)
        {
            if (obj["kind"]?.GetValue<string>() == "Table" && obj["columnDefinitions"] is JsonArray columns && obj["rows"] is JsonArray rows)
            {
                for (var i = 0; i < columns.Count; i++)
                {
                    if (columns[i]?["type"]?.GetValue<string>() == "date")
                    {
                        foreach (var row in rows)
                        {
                            if (row?["cells"] is JsonArray cells && i < cells.Count)
                            {
                                cells[i] = "<age>";
                            }
                        }
                    }
                }
            }

            if (sortItems && obj["items"] is JsonArray items)
            {
                var sorted = items.Select(i => i!.DeepClone()).OrderBy(i => i["metadata"]?["name"]?.GetValue<string>(), StringComparer.Ordinal).ToList();
                obj["items"] = new JsonArray(sorted.ToArray());
            }
        }

        return node;
    }

    private static void Walk(JsonNode? node, string? topKind)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["managedFields"] is JsonArray entries)
                {
                    foreach (var entry in entries.OfType<JsonObject>())
                    {
                        entry["time"] = "<time>";
                    }
                }

                obj.Remove("selfLink");
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var value = obj[key];
                    if (value is JsonValue v && v.TryGetValue<string>(out var text))
                    {
                        switch (key)
                        {
                            case "uid" when text.Length > 0:
                                obj[key] = "<uid>";
                                break;
                            case "resourceVersion" when text.Length > 0:
                                obj[key] = "<rv>";
                                break;
                            case "creationTimestamp" or "deletionTimestamp":
                                obj[key] = "<time>";
                                break;
                            case "lastTransitionTime" when topKind == "CustomResourceDefinition":
                                obj[key] = "<time>";
                                break;
                            case "name" when KubeApiAccessVolume().IsMatch(text):
                                // The ServiceAccount plugin names the token volume with a random suffix (102, 104).
                                obj[key] = "kube-api-access-<suffix>";
                                break;
                            case "serverAddress":
                                obj[key] = Regex.Replace(text, @":\d+$", ":<port>");
                                break;
                            case "message":
                                obj[key] = Regex.Replace(text, @"too old resource version: \d+ \(\d+\)", "too old resource version: N (M)");
                                break;
                            case "continue" when ContinueToken.Decode(text) is { } token:
                                // A continue token carries a resourceVersion (-1, "continue at the latest", is kept).
                                obj[key] = token.Rv > 0 ? $"continue(rv=<rv>, start={token.Start})" : $"continue(rv={token.Rv}, start={token.Start})";
                                break;
                        }
                    }
                    else
                    {
                        Walk(value, topKind ?? (value as JsonObject)?["kind"]?.GetValue<string>());
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Walk(item, item is JsonObject o && o["kind"] is not null ? o["kind"]!.GetValue<string>() : topKind);
                }

                break;
        }
    }

    internal static void Compare(string path, JsonNode? expected, JsonNode? actual, List<string> differences)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var (key, value) in e)
                {
                    if (!a.TryGetPropertyValue(key, out var other))
                    {
                        differences.Add($"{path}.{key}: missing (expected {Short(value)})");
                    }
                    else
                    {
                        Compare($"{path}.{key}", value, other, differences);
                    }
                }

                foreach (var (key, value) in a)
                {
                    if (!e.ContainsKey(key))
                    {
                        differences.Add($"{path}.{key}: unexpected {Short(value)}");
                    }
                }

                break;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    differences.Add($"{path}: expected {e.Count} items, got {a.Count}");
                }

                for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
                {
                    Compare($"{path}[{i}]", e[i], a[i], differences);
                }

                break;
            default:
                if (!JsonNode.DeepEquals(expected, actual))
                {
                    differences.Add($"{path}: expected {Short(expected)}, got {Short(actual)}");
                }

                break;
        }
    }

    private static string Short(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length > 160 ? text[..160] + "…" : text;
    }

    public string Report()
    {
        var report = new StringBuilder();
        report.AppendLine("NN  outcome  exchange / reason");
        foreach (var result in _results)
        {
            report.Append(CultureInfo.InvariantCulture, $"{result.Number:00}  {result.Outcome,-7}  {result.Name}");
            if (result.Reason is not null)
            {
                report.Append(CultureInfo.InvariantCulture, $"  [{result.Reason}]");
            }

            report.AppendLine();
            foreach (var difference in result.Differences.Take(8))
            {
                report.AppendLine("            " + difference);
            }
        }

        report.AppendLine(CultureInfo.InvariantCulture, $"{_results.Count(r => r.Outcome == "PASS")} of {_results.Count} exchanges pass; {_results.Count(r => r.Outcome == "SKIP")} not replayed.");
        return report.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        if (_webhook is not null)
        {
            await _webhook.DisposeAsync();
        }
    }

    [GeneratedRegex(@"^kube-api-access-[a-z0-9]{5}$")]
    private static partial Regex KubeApiAccessVolume();

    [GeneratedRegex(@"too old resource version: (\d+) \((\d+)\)")]
    private static partial Regex TooOldMessage();

    [GeneratedRegex(@"^\d+-.*\.json$")]
    private static partial Regex NumberPrefix();
}

/// <summary>kube-apiserver's continue token: unpadded base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}.</summary>
internal sealed record ContinueToken(long Rv, string Start)
{
    public static ContinueToken? Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            return JsonNode.Parse(Convert.FromBase64String(base64)) is JsonObject { } json && json["v"]?.GetValue<string>() == "meta.k8s.io/v1"
                ? new ContinueToken(json["rv"]!.GetValue<long>(), json["start"]!.GetValue<string>())
                : null;
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    public string Encode()
    {
        var json = new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = Rv, ["start"] = Start }.ToJsonString();
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
