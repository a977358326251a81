using System.Diagnostics;
using System.Text.Json;
using GuardDutyCoverage.Api;
using KubeSandbox;
using GuardDutyCoverage.Sandbox.Aws;
using GuardDutyCoverage.Tests.Aws;

namespace GuardDutyCoverage.Tests.E2E;

/// <summary>
/// The operator as a process, the way a Deployment runs it: against the sandbox API server (HTTPS, RBAC) and the
/// local GuardDuty/EKS endpoints, configured only through flags and the standard AWS environment variables.
/// </summary>
public sealed class OperatorProcessTests() : SandboxProcessTest("gdc-process-")
{
    internal static ProcessStartInfo Operator(IEnumerable<KeyValuePair<string, string>>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "guardduty-coverage.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // No AWS configuration leaks in from the machine running the tests.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        return start;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunToEndAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task WithoutTheCrdItSaysHowToInstallItAndExits2()
    {
        var (exit, _, stderr) = await RunToEndAsync(Operator(null, "run", "--kubeconfig", Kubeconfig, "--metrics-bind-address", "0", "--health-probe-bind-address", "0"));
        Assert.Equal(2, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: the GuardDutyCoverage CRD", line);
        Assert.Contains("kubectl apply -f crds/", line);
    }

    [Fact]
    public async Task WithAnInvalidTokenItReportsTheRejectionAndExits2()
    {
        var rejected = Path.Combine(WorkDirectory, "rejected");
        Sandbox.WriteKubeconfig(rejected, token: "not-a-valid-token");
        var (exit, _, stderr) = await RunToEndAsync(Operator(null, "run", "--kubeconfig", rejected, "--metrics-bind-address", "0", "--health-probe-bind-address", "0"));
        Assert.Equal(2, exit);
        Assert.Contains("rejected our credentials (401)", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Theory]
    [InlineData("--max-concurrent-reconciles", "0", "outside 1..64")]
    [InlineData("--log-level", "loud", "loud")]
    [InlineData("--memory-trim-period", "2", "is not 0 or a duration between 1s and 1h")]
    [InlineData("--leader-elect", null, "--leader-election-namespace")]
    public async Task BadFlagsAreOneLineAndExit2(string flag, string? value, string expected)
    {
        string[] args = value is null ? ["run", "--kubeconfig", Kubeconfig, flag] : ["run", "--kubeconfig", Kubeconfig, flag, value];
        var (exit, stdout, stderr) = await RunToEndAsync(Operator(null, args));
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public async Task ReconcilesToReadyServesMetricsAndStopsCleanlyOnSigterm()
    {
        await using var aws = await SeedHealthyDemoClusterAsync();

        using var process = Process.Start(Operator(
            aws.Server.Environment(LocalAws.Region),
            "run", "--kubeconfig", Kubeconfig, "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0", "--log-format", "json"))!;
        var stderr = process.StandardError.ReadToEndAsync();
        Uri? metrics = null;
        var log = new List<string>();
        try
        {
            while (metrics is null && await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
            {
                log.Add(line);
                var message = JsonDocument.Parse(line).RootElement.GetProperty("Message").GetString()!;
                if (message.StartsWith("Serving metrics on ", StringComparison.Ordinal))
                {
                    metrics = new Uri(message["Serving metrics on ".Length..]);
                }
            }

            Assert.NotNull(metrics);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            GuardDutyCoverageStatus? status = null;
            while (DateTime.UtcNow < deadline && status?.Conditions.Find(ConditionTypes.Ready)?.Status != ConditionStatus.True)
            {
                await Task.Delay(50);
                status = Sandbox.Cluster.Get(V1Alpha1GuardDutyCoverage.ApiVersionValue, V1Alpha1GuardDutyCoverage.KindName, null, "prod-eks-1")?
                    .Deserialize(ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)?.Status;
            }

            Assert.Equal(ConditionStatus.True, status?.Conditions.Find(ConditionTypes.Ready)?.Status);
            Assert.Equal("HEALTHY", status!.GuardDuty?.CoverageStatus);
            Assert.True(aws.State.CountRequests("ListCoverage") >= 1);

            using var http = new HttpClient();
            var text = await http.GetStringAsync(new Uri(metrics, "/metrics"));
            Assert.Contains("guardduty_coverage_state{name=\"prod-eks-1\",cluster_name=\"prod-eks-1\",state=\"Healthy\"} 1", text);
            Assert.Contains("controller_runtime_reconcile_total{controller=\"guarddutycoverage\"", text);

            // Which build runs: the first log line and the build-info gauge carry the one version (VERSION).
            var starting = JsonDocument.Parse(log[0]).RootElement.GetProperty("Message").GetString();
            Assert.StartsWith($"guardduty-coverage {Deploy.ReleaseInfo.Version} starting (commit ", starting, StringComparison.Ordinal);

            // The GC the csproj chooses (issue 11: concurrent, or a burst's gen0/gen1 budgets grow to 200 MiB).
            Assert.EndsWith(", workstation concurrent GC)", starting, StringComparison.Ordinal);
            Assert.Contains($"guardduty_coverage_build_info{{version=\"{Deploy.ReleaseInfo.Version}\",revision=\"", text, StringComparison.Ordinal);
        }
        finally
        {
            // SIGTERM, as the kubelet sends it.
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{string.Join('\n', log)}\n{await stderr}");
    }
}
