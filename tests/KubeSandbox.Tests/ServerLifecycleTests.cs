using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Http;
using Microsoft.Extensions.Time.Testing;

namespace KubeSandbox.Tests;

/// <summary>The library used as a test suite uses it (README "Use from a test"): start, seed, talk, fault, restart, stop.</summary>
public sealed class ServerLifecycleTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public async Task ListensOnALoopbackPortTheOsChose()
    {
        await using var first = await SandboxServer.StartAsync();
        await using var second = await SandboxServer.StartAsync();

        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(first.BaseAddress.Host)));
        Assert.Equal("https", first.BaseAddress.Scheme);
        Assert.NotEqual(0, first.BaseAddress.Port);
        Assert.NotEqual(first.BaseAddress.Port, second.BaseAddress.Port);
    }

    [Fact]
    public async Task VersionIsTheRecordedServersBodyFieldForField()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = sandbox.CreateHttpClient();

        var body = await http.GetFromJsonAsync<JsonObject>("/version");

        var recorded = TestData.Golden("01")["response"]!["body"];
        Assert.True(JsonNode.DeepEquals(recorded, body), $"expected {recorded!.ToJsonString()}, got {body!.ToJsonString()}");
        Assert.Equal("v1.24.0+0", sandbox.Options.KubernetesVersion);
    }

    [Fact]
    public async Task AnotherVersionChangesGitVersionMajorAndMinor()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { KubernetesVersion = "v1.30.4-eks-a737599" });
        using var http = sandbox.CreateHttpClient();

        var body = await http.GetFromJsonAsync<JsonObject>("/version");

        Assert.Equal("1", body!["major"]!.GetValue<string>());
        Assert.Equal("30", body["minor"]!.GetValue<string>());
        Assert.Equal("v1.30.4-eks-a737599", body["gitVersion"]!.GetValue<string>());
        Assert.Equal(ServerVersion.Recorded.GoVersion, body["goVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task SeededObjectsAreServedWithTheirStatusAndResourceVersion()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = new FakeTimeProvider(Start) });
        var stored = sandbox.Cluster.Upsert(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "settings", ["namespace"] = "default" },
            ["data"] = new JsonObject { ["mode"] = "strict" },
        });
        using var http = sandbox.CreateHttpClient();

        var served = await http.GetFromJsonAsync<JsonObject>("/api/v1/namespaces/default/configmaps/settings");

        Assert.Equal("strict", served!["data"]!["mode"]!.GetValue<string>());
        Assert.Equal(stored["metadata"]!["resourceVersion"]!.GetValue<string>(), served["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(sandbox.Cluster.ResourceVersion, served["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05Z", served["metadata"]!["creationTimestamp"]!.GetValue<string>());
    }

    [Fact]
    public async Task KubeconfigNamesTheServerItsCaAndTheAdminToken()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        var path = System.IO.Path.GetTempFileName();
        try
        {
            sandbox.WriteKubeconfig(path);
            var text = await File.ReadAllTextAsync(path);

            Assert.Contains(sandbox.BaseAddress.ToString().TrimEnd('/'), text, StringComparison.Ordinal);
            Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(sandbox.CertificateAuthorityPem!)), text, StringComparison.Ordinal);
            Assert.Contains(SandboxOptions.DefaultAdminToken, text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task RbacAppliesToOtherUsersAndTheAdminIsAllowedEverything()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        sandbox.AddUser("alice-token", new UserInfo("alice", ["platform"]));
        using var alice = sandbox.CreateHttpClient("alice-token");
        using var admin = sandbox.CreateHttpClient();

        var denied = await alice.GetAsync("/api/v1/namespaces/default/configmaps");
        var allowed = await admin.GetAsync("/api/v1/namespaces/default/configmaps");

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var status = await denied.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("Forbidden", status!["reason"]!.GetValue<string>());
        Assert.Contains("User \"alice\" cannot list resource \"configmaps\"", status["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task InjectedFaultsAnswerAndAreLogged()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        sandbox.Faults.FailNext(1, r => r.Verb == "list", 429, TimeSpan.FromSeconds(1));
        using var http = sandbox.CreateHttpClient();

        var failed = await http.GetAsync("/api/v1/namespaces");
        var retried = await http.GetAsync("/api/v1/namespaces");

        Assert.Equal((HttpStatusCode)429, failed.StatusCode);
        Assert.Equal("1", failed.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal([429, 200], sandbox.Requests.Where(r => r.Verb == "list").Select(r => r.StatusCode));
    }

    [Fact]
    public async Task RestartKeepsTheStoreAndStartsTheWatchCacheAnew()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        sandbox.Cluster.Upsert(ConfigMap("before"));
        var seen = sandbox.Cluster.ResourceVersion;

        var restart = sandbox.Faults.RestartApiServer();

        Assert.Equal(long.Parse(seen, System.Globalization.CultureInfo.InvariantCulture), restart.PreviousRevision);
        Assert.Equal(restart.PreviousRevision + 1, restart.WatchCacheRevision);
        Assert.NotNull(sandbox.Cluster.Get("v1", "ConfigMap", "default", "before"));
        using var http = sandbox.CreateHttpClient();
        var watch = await http.GetStringAsync($"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={seen}&timeoutSeconds=1");
        Assert.Contains("\"type\":\"ERROR\"", watch, StringComparison.Ordinal);
        Assert.Contains("\"code\":410", watch, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStoppedServerBreaksConnectionsUntilStarted()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = sandbox.CreateHttpClient();

        sandbox.Faults.StopApiServer();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/api/v1/namespaces"));
        sandbox.Faults.StartApiServer();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces")).StatusCode);
    }

    private static JsonObject ConfigMap(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
    };
}
