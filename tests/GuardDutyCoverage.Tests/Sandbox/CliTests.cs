using System.Diagnostics;
using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Sandbox;

/// <summary><c>guardduty-sandbox serve</c> as a child process, the way <c>make demo</c> runs it.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sandbox-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ProcessStartInfo Sandbox(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "guardduty-sandbox.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(params string[] args)
    {
        using var process = Process.Start(Sandbox(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(SandboxHttp.Patience);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Serve_loads_seed_writes_a_kubeconfig_prints_the_address_and_stops_on_SIGTERM()
    {
        var seed = Directory.CreateDirectory(Path.Combine(_directory, "seed")).FullName;
        File.WriteAllText(Path.Combine(seed, "agent.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: amazon-guardduty
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: aws-guardduty-agent
              namespace: amazon-guardduty
            spec:
              selector: {matchLabels: {name: agent}}
              template:
                metadata: {labels: {name: agent}}
                spec: {containers: [{name: agent, image: "agent:1.17.1"}]}
            status:
              desiredNumberScheduled: 3
              numberReady: 2
            """);
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        using var process = Process.Start(Sandbox("serve", "--kubeconfig", kubeconfig, "--seed", seed))!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(SandboxHttp.Patience);
            Assert.NotNull(line);
            var address = System.Text.RegularExpressions.Regex.Match(line!, @"http://127\.0\.0\.1:\d+").Value;
            Assert.Contains($"server: {address}", File.ReadAllText(kubeconfig), StringComparison.Ordinal);
            Assert.Contains("current-context: sandbox", File.ReadAllText(kubeconfig), StringComparison.Ordinal);

            using var http = new HttpClient { BaseAddress = new Uri(address + "/") };
            http.DefaultRequestHeaders.Authorization = new("Bearer", GuardDutyCoverage.Sandbox.SandboxOptions.DefaultAdminToken);
            var body = await http.GetStringAsync("apis/apps/v1/namespaces/amazon-guardduty/daemonsets/aws-guardduty-agent");
            var daemonSet = JsonNode.Parse(body)!;
            Assert.Equal(2, (int)daemonSet["status"]!["numberReady"]!);
            Assert.Equal("1", (string)daemonSet["metadata"]!["generation"]!.ToString());
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(SandboxHttp.Patience);
        }

        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_error_and_a_non_zero_exit()
    {
        var missingOption = await RunToEndAsync("serve");
        Assert.NotEqual(0, missingOption.ExitCode);
        Assert.Contains("--kubeconfig", missingOption.Stderr, StringComparison.Ordinal);

        var badPort = await RunToEndAsync("serve", "--kubeconfig", Path.Combine(_directory, "k"), "--port", "70000");
        Assert.NotEqual(0, badPort.ExitCode);
        Assert.Contains("--port must be between 0 and 65535", badPort.Stderr, StringComparison.Ordinal);

        var noSeed = await RunToEndAsync("serve", "--kubeconfig", Path.Combine(_directory, "k"), "--seed", Path.Combine(_directory, "absent"));
        Assert.Equal(2, noSeed.ExitCode);
        Assert.Contains("does not exist", noSeed.Stderr, StringComparison.Ordinal);

        var seed = Directory.CreateDirectory(Path.Combine(_directory, "bad")).FullName;
        File.WriteAllText(Path.Combine(seed, "x.yaml"), "apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n");
        var unknownKind = await RunToEndAsync("serve", "--kubeconfig", Path.Combine(_directory, "k"), "--seed", seed);
        Assert.Equal(2, unknownKind.ExitCode);
        Assert.Contains("x.yaml: no kind \"Gadget\" is served in apiVersion \"v1\"", unknownKind.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unknownKind.Stderr, StringComparison.Ordinal);
    }
}
