using System.Text.Json.Nodes;
using KubeSandbox;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class FaultTests
{
    private const string ConfigMaps = "api/v1/namespaces/default/configmaps";

    [Fact]
    public async Task FailNext_fails_exactly_the_matching_requests_then_lets_them_through()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        var throttle = sandbox.Faults.FailNext(2, r => r is { Verb: "list", Resource: "configmaps" }, 429, TimeSpan.FromSeconds(2));

        Assert.Equal(200, (await http.GetAsync("api/v1/namespaces")).Status);
        for (var i = 0; i < 2; i++)
        {
            var throttled = await http.GetAsync(ConfigMaps);
            Assert.Equal(429, throttled.Status);
            Assert.Equal("2", throttled.Headers["Retry-After"]);
            Assert.Equal("TooManyRequests", (string)throttled.Object["reason"]!);
            Assert.Equal(2, (int)throttled.Object["details"]!["retryAfterSeconds"]!);
        }

        Assert.Equal(200, (await http.GetAsync(ConfigMaps)).Status);
        Assert.Equal((2, 0), (throttle.Fired, throttle.Remaining));
    }

    [Fact]
    public async Task Injected_500_and_409_carry_kube_apiserver_shaped_statuses_and_nothing_is_written()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = new SandboxHttp(sandbox);
        await http.PostAsync(ConfigMaps, WatchTests.ConfigMap("c"));
        sandbox.Faults.FailNext(1, r => r.Verb == "patch", 409);
        sandbox.Faults.FailNext(1, r => r.Verb == "create", 500);

        var conflict = await http.PatchAsync($"{ConfigMaps}/c", JsonNode.Parse("""{"data":{"k":"changed"}}""")!);
        Assert.Equal(409, conflict.Status);
        Assert.Equal(
            "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again",
            (string)conflict.Object["message"]!);
        Assert.Equal("v", (string)(await http.GetAsync($"{ConfigMaps}/c")).Object["data"]!["k"]!);

        var error = await http.PostAsync(ConfigMaps, WatchTests.ConfigMap("d"));
        Assert.Equal(500, error.Status);
        Assert.Equal("InternalError", (string)error.Object["reason"]!);
        Assert.Equal(404, (await http.GetAsync($"{ConfigMaps}/d")).Status);
        Assert.Throws<ArgumentOutOfRangeException>(() => sandbox.Faults.FailNext(1, _ => true, 200));
    }

    [Fact]
    public async Task Delay_holds_the_response_until_the_sandbox_clock_moves()
    {
        var time = WatchTests.NewClock();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = time });
        using var http = new SandboxHttp(sandbox);
        sandbox.Faults.Delay(r => r is { Verb: "get", Name: "default" }, TimeSpan.FromSeconds(5), count: 1);

        var pending = http.GetAsync("api/v1/namespaces/default");
        await Eventually(() => sandbox.Requests.Any(r => r.Name == "default"));
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(200, (await pending.WaitAsync(SandboxHttp.Patience)).Status);
        Assert.Equal(200, (await http.GetAsync("api/v1/namespaces/default")).Status); // count 1: the next one is not delayed
    }

    /// <summary>Waits for a condition the test cannot be signalled about, with a generous limit.</summary>
    internal static async Task Eventually(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(SandboxHttp.Patience);
        while (!condition())
        {
            await Task.Delay(1, limit.Token);
        }
    }
}
