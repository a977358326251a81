using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Tests.Aws;

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
        var awsSeed = Path.Combine(RepoPaths.Root, "tests", "scenarios", "demo-aws.yaml");
        using var process = Process.Start(Sandbox("serve", "--kubeconfig", kubeconfig, "--seed", seed, "--aws-seed", awsSeed))!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(SandboxHttp.Patience);
            Assert.NotNull(line);
            var address = System.Text.RegularExpressions.Regex.Match(line!, @"https://127\.0\.0\.1:\d+").Value;
            var config = File.ReadAllText(kubeconfig);
            Assert.Contains($"server: {address}", config, StringComparison.Ordinal);
            Assert.Contains("current-context: sandbox", config, StringComparison.Ordinal);

            // The kubeconfig pins the sandbox's certificate; with it the admin token authenticates (kubectl sends tokens only over TLS).
            var authority = System.Text.RegularExpressions.Regex.Match(config, "certificate-authority-data: (\\S+)").Groups[1].Value;
            using var ca = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(authority));
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { ca },
                RevocationMode = X509RevocationMode.NoCheck,
            };
            using var http = new HttpClient(handler) { BaseAddress = new Uri(address + "/") };
            http.DefaultRequestHeaders.Authorization = new("Bearer", KubeSandbox.SandboxOptions.DefaultAdminToken);
            var body = await http.GetStringAsync("apis/apps/v1/namespaces/amazon-guardduty/daemonsets/aws-guardduty-agent");
            var daemonSet = JsonNode.Parse(body)!;
            Assert.Equal(2, (int)daemonSet["status"]!["numberReady"]!);
            Assert.Equal("1", (string)daemonSet["metadata"]!["generation"]!.ToString());

            if (Kubectl.Available)
            {
                // A SelfSubjectAccessReview: "yes" only for an authenticated admin (system:anonymous would get "no").
                var (exit, stdout, stderr) = await PythonTools.RunProcessAsync("kubectl", ["--kubeconfig", kubeconfig, "auth", "can-i", "patch", "daemonsets", "-n", "amazon-guardduty"], null);
                Assert.True(exit == 0, stderr);
                Assert.Equal("yes\n", stdout);
            }

            // The second line names the local AWS endpoints and the env file the operator is started with.
            var awsLine = await process.StandardOutput.ReadLineAsync().WaitAsync(SandboxHttp.Patience);
            var environmentFile = Path.Combine(_directory, "aws.env");
            Assert.Matches(@"^guardduty-sandbox: serving GuardDuty and EKS at http://127\.0\.0\.1:\d+ \(environment .*aws\.env\)$", awsLine);
            var environment = File.ReadAllLines(environmentFile).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.Equal(
                ["AWS_ENDPOINT_URL_GUARDDUTY", "AWS_ENDPOINT_URL_EKS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_DISABLED"],
                environment.Keys);
            Assert.Equal("us-east-1", environment["AWS_REGION"]);

            // What the operator does with that environment: its endpoint overrides and the seeded detector, coverage and add-on.
            var overrides = AwsEndpointOverrides.FromEnvironment(name => environment.GetValueOrDefault(name));
            Assert.Null(overrides.Sts);
            using var awsHttp = new HttpClient();
            using var credentials = AwsCredentialsSource.Static(new AwsCredentialValues(environment["AWS_ACCESS_KEY_ID"], environment["AWS_SECRET_ACCESS_KEY"]));
            var guardDuty = new GuardDutyClient(new AwsRestJsonClient(
                awsHttp, new AwsServiceEndpoint(AwsService.GuardDuty, environment["AWS_REGION"], overrides.GuardDuty!), credentials, LocalAws.FastRetry(), TimeProvider.System));
            var detectorId = await DetectorDiscovery.ResolveAsync(guardDuty, null, environment["AWS_REGION"], default);
            var coverage = await guardDuty.ListAllCoverageAsync(detectorId, new ListCoverageRequest(), null, default);
            Assert.Equal(
                [("dev-eks-2", "UNHEALTHY"), ("prod-eks-1", "HEALTHY")],
                coverage.Select(c => (c.ResourceId!, c.CoverageStatus!)).Order());
            var eks = new EksClient(new AwsRestJsonClient(
                awsHttp, new AwsServiceEndpoint(AwsService.Eks, environment["AWS_REGION"], overrides.Eks!), credentials, LocalAws.FastRetry(), TimeProvider.System));
            Assert.Equal("ACTIVE", (await eks.DescribeAddonAsync("prod-eks-1", "aws-guardduty-agent", default)).Value!.Status);
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(SandboxHttp.Patience);
        }

        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>How process-level fault tests restart, compact and inspect a sandbox they do not run in-process.</summary>
    [Fact]
    public async Task Serve_takes_restarts_and_compaction_from_another_process_at_its_admin_endpoints()
    {
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        using var process = Process.Start(Sandbox("serve", "--kubeconfig", kubeconfig, "--watch-cache-window", "5", "--storage-history", "50"))!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(SandboxHttp.Patience);
            var address = System.Text.RegularExpressions.Regex.Match(line!, @"https://127\.0\.0\.1:\d+").Value;
            var config = File.ReadAllText(kubeconfig);
            var authority = System.Text.RegularExpressions.Regex.Match(config, "certificate-authority-data: (\\S+)").Groups[1].Value;
            using var ca = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(authority));
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { ca },
                RevocationMode = X509RevocationMode.NoCheck,
            };
            using var http = new HttpClient(handler) { BaseAddress = new Uri(address + "/") };
            http.DefaultRequestHeaders.Authorization = new("Bearer", KubeSandbox.SandboxOptions.DefaultAdminToken);

            var state = JsonNode.Parse(await http.GetStringAsync("_sandbox/state"))!;
            Assert.Equal(5, (int)state["watchCacheWindow"]!);
            var revision = (long)state["revision"]!;

            using (var restart = await http.PostAsync("_sandbox/restart", null))
            {
                Assert.Equal(200, (int)restart.StatusCode);
                Assert.Equal(revision + 1, (long)JsonNode.Parse(await restart.Content.ReadAsStringAsync())!["watchCacheRevision"]!);
            }

            // The pre-restart revision is too old for the new watch cache.
            using (var watch = await http.GetAsync($"api/v1/namespaces/default/configmaps?watch=true&resourceVersion={revision}"))
            {
                var error = JsonNode.Parse((await watch.Content.ReadAsStringAsync()).Trim())!;
                Assert.Equal($"too old resource version: {revision} ({revision + 1})", (string)error["object"]!["message"]!);
            }

            if (Kubectl.Available)
            {
                // The README's shell form.
                var (exit, stdout, stderr) = await PythonTools.RunProcessAsync("kubectl", ["--kubeconfig", kubeconfig, "create", "--raw", "/_sandbox/compact", "-f", "/dev/null"], null);
                Assert.True(exit == 0, stderr);
                Assert.Equal(revision + 1, (long)JsonNode.Parse(stdout)!["compactedRevision"]!);
                (exit, stdout, stderr) = await PythonTools.RunProcessAsync("kubectl", ["--kubeconfig", kubeconfig, "get", "--raw", "/_sandbox/state"], null);
                Assert.True(exit == 0, stderr);
                Assert.Equal(1, (int)JsonNode.Parse(stdout)!["apiServerRestarts"]!);
            }
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

        var badWindow = await RunToEndAsync("serve", "--kubeconfig", Path.Combine(_directory, "k"), "--watch-cache-window", "0");
        Assert.NotEqual(0, badWindow.ExitCode);
        Assert.Contains("--watch-cache-window must be at least 1", badWindow.Stderr, StringComparison.Ordinal);

        var noSeed = await RunToEndAsync("serve", "--kubeconfig", Path.Combine(_directory, "k"), "--seed", Path.Combine(_directory, "absent"));
        Assert.Equal(2, noSeed.ExitCode);
        Assert.Contains("does not exist", noSeed.Stderr, StringComparison.Ordinal);

        var seed = Directory.CreateDirectory(Path.Combine(_directory, "bad")).FullName;
        File.WriteAllText(Path.Combine(seed, "x.yaml"), "apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n");
        var unknownKind = await RunToEndAsync("serve", "--kubeconfig", Path.Combine(_directory, "k"), "--seed", seed);
        Assert.Equal(2, unknownKind.ExitCode);
        Assert.Contains("x.yaml: no kind \"Gadget\" is served in apiVersion \"v1\"", unknownKind.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unknownKind.Stderr, StringComparison.Ordinal);

        var noAwsSeed = await RunToEndAsync("serve", "--kubeconfig", Path.Combine(_directory, "k"), "--aws-seed", Path.Combine(_directory, "absent.yaml"));
        Assert.Equal(2, noAwsSeed.ExitCode);
        Assert.Contains("AWS seed file", noAwsSeed.Stderr, StringComparison.Ordinal);

        var badAwsSeed = Path.Combine(_directory, "aws.yaml");
        File.WriteAllText(badAwsSeed, "clusters: [{name: prod-eks-1, status: RUNNING}]\n");
        var invalidAwsSeed = await RunToEndAsync("serve", "--kubeconfig", Path.Combine(_directory, "k"), "--aws-seed", badAwsSeed);
        Assert.Equal(2, invalidAwsSeed.ExitCode);
        Assert.Contains("cannot load AWS seed", invalidAwsSeed.Stderr, StringComparison.Ordinal);
        Assert.Contains("clusters[0]: Value 'RUNNING' at 'status' failed to satisfy constraint", invalidAwsSeed.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", invalidAwsSeed.Stderr, StringComparison.Ordinal);
    }
}
