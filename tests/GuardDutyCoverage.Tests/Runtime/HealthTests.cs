using System.Net;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class HealthTests
{
    [Fact]
    public void ReportsLikeControllerRuntime()
    {
        var health = new HealthChecks();
        var synced = false;
        health.AddReadinessCheck("informers", () => synced ? HealthCheckResult.Ok : HealthCheckResult.Fail("not synced: pods"));

        var notReady = health.CheckReadiness();
        Assert.Equal(500, notReady.StatusCode);
        Assert.Equal("[+]informers failed: not synced: pods\n".Replace("[+]", "[-]", StringComparison.Ordinal) + "[+]ping ok\nreadyz check failed\n", notReady.Body);
        Assert.Equal(200, health.CheckReadiness(exclude: ["informers"]).StatusCode);
        Assert.Equal(500, health.CheckReadiness(only: "informers").StatusCode);
        Assert.Equal(404, health.CheckReadiness(only: "nope").StatusCode);

        synced = true;
        Assert.Equal(new HealthReport(true, 200, "ok"), health.CheckReadiness());
        Assert.Equal("[+]informers ok\n[+]ping ok\nreadyz check passed\n", health.CheckReadiness(verbose: true).Body);
        Assert.Equal(200, health.CheckLiveness().StatusCode);
        Assert.Throws<ArgumentException>(() => health.AddReadinessCheck("informers", () => HealthCheckResult.Ok));
    }

    [Fact]
    public void AThrowingCheckFails()
    {
        var health = new HealthChecks();
        health.AddLivenessCheck("broken", () => throw new InvalidOperationException("kaput"));
        var report = health.CheckLiveness();
        Assert.False(report.Healthy);
        Assert.Contains("[-]broken failed: kaput", report.Body);
    }

    [Theory]
    [InlineData(":8080", "0.0.0.0", 8080)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("[::1]:8081", "::1", 8081)]
    [InlineData("localhost:9090", "127.0.0.1", 9090)]
    public void ParsesBindAddresses(string text, string address, int port)
    {
        Assert.True(HttpEndpoint.TryParseBindAddress(text, out var endpoint, out _));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("")]
    [InlineData(null)]
    public void ZeroOrEmptyDisables(string? text)
    {
        Assert.True(HttpEndpoint.TryParseBindAddress(text, out var endpoint, out _));
        Assert.Null(endpoint);
    }

    [Theory]
    [InlineData("8080")]
    [InlineData("example.com:80")]
    [InlineData(":99999")]
    [InlineData("1.2.3.4:")]
    public void RejectsBadAddressesWithAClearError(string text)
    {
        Assert.False(HttpEndpoint.TryParseBindAddress(text, out _, out var error));
        Assert.Contains(text, error);
    }
}
