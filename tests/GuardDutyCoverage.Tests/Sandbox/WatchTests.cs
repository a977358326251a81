using System.Text.Json.Nodes;
using GuardDutyCoverage.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class WatchTests
{
    private static JsonObject ConfigMap(string name, string? label = null) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = label is null
            ? new JsonObject { ["name"] = name }
            : new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = label } },
        ["data"] = new JsonObject { ["k"] = "v" },
    };

    [Fact]
    public async Task Timeout_ends_the_stream_cleanly_on_the_sandbox_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { TimeProvider = time });
        using var http = new SandboxHttp(sandbox);
        await using var watch = await http.WatchAsync("api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=5");
        Assert.Equal(200, watch.Status);
        Assert.Equal("application/json", watch.ContentType);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(await watch.ReadToEndAsync());
    }
}
