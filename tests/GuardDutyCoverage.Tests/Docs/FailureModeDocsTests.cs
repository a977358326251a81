using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Sandbox.Scenarios;
using KubeSandbox;
using GuardDutyCoverage.Util;
using k8s;
using CommandTree = GuardDutyCoverage.Cli.CommandLine;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>
/// The operator's own failure modes as docs/troubleshooting.md and docs/cli.md show them: <c>run</c> against the
/// in-process API server, in-process, must print exactly the documented line (server address and port aside) and exit
/// with 2, never a stack trace.
/// </summary>
public sealed partial class FailureModeDocsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gdc-docs-failures-").FullName;
    private SandboxServer _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxServer.StartAsync(new SandboxOptions { KubernetesVersion = EksScenario.KubernetesVersion });

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The documented <c>error:</c> line of a text block of troubleshooting.md that starts like this.</summary>
    private static string Documented(string page, string start) =>
        DocPage.Load(page).Blocks.Where(b => b.Language == "text").SelectMany(b => b.Lines)
            .Single(l => l.StartsWith(start, StringComparison.Ordinal));

    private static string WithoutAddresses(string text) => Address().Replace(text.TrimEnd('\n'), "127.0.0.1:<port>");

    private string Kubeconfig(string? token = null)
    {
        var path = Path.Combine(_directory, "kubeconfig-" + Guid.NewGuid().ToString("N"));
        _sandbox.WriteKubeconfig(path, token);
        return path;
    }

    private static async Task<(int Exit, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CommandTree.InvokeAsync(CommandTree.Build(), ["run", "--metrics-bind-address", "0", "--health-probe-bind-address", "0", .. args], output, error);
        return (exit, error.ToString());
    }

    [Fact]
    public async Task WithoutTheCrdRunExitsWithTheDocumentedLine()
    {
        // kube-apiserver answers "404 page not found" for a group/version no CRD serves.
        var (exit, error) = await Run("--kubeconfig", Kubeconfig());
        Assert.Equal(2, exit);
        Assert.Equal(
            WithoutAddresses(Documented("troubleshooting.md", "error: the GuardDutyCoverage CRD")),
            WithoutAddresses(error));
        Assert.Equal(
            WithoutAddresses(Documented("cli.md", "error: the GuardDutyCoverage CRD")),
            WithoutAddresses(error));
    }

    [Fact]
    public async Task PreflightCallsAMissingGroupAMissingCrdSoLiveDiagnoseCanGoOn()
    {
        using var kubernetes = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig()));
        var client = new KubeApiClient(kubernetes);
        var missing = await Assert.ThrowsAsync<PreflightException>(() => OperatorHost.PreflightAsync(client, _sandbox.BaseAddress.ToString(), CancellationToken.None));
        Assert.Contains("CRD", missing.Message, StringComparison.Ordinal);

        _sandbox.Cluster.Upsert(YamlJson.Parse(await File.ReadAllTextAsync(RepoPaths.Crd))!.AsObject());
        await OperatorHost.PreflightAsync(client, _sandbox.BaseAddress.ToString(), CancellationToken.None);
    }

    [Fact]
    public async Task RejectedCredentialsAndAnUnreachableServerAreTheDocumentedLines()
    {
        var (exit, error) = await Run("--kubeconfig", Kubeconfig(token: "not-a-token"));
        Assert.Equal(2, exit);
        Assert.Equal(WithoutAddresses(Documented("troubleshooting.md", "error: the Kubernetes API server at")), WithoutAddresses(error));

        int closedPort;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var unreachable = Path.Combine(_directory, "unreachable");
        await File.WriteAllTextAsync(unreachable, """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:PORT"}}]
            users: [{name: u, user: {token: abc}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """.Replace("PORT", closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        (exit, error) = await Run("--kubeconfig", unreachable);
        Assert.Equal(2, exit);
        Assert.Equal(WithoutAddresses(Documented("troubleshooting.md", "error: cannot reach the Kubernetes API server")), WithoutAddresses(error));
    }

    [Fact]
    public async Task BadBindAddressesAreTheDocumentedLines()
    {
        _sandbox.Cluster.Upsert(YamlJson.Parse(await File.ReadAllTextAsync(RepoPaths.Crd))!.AsObject());
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CommandTree.InvokeAsync(CommandTree.Build(), ["run", "--kubeconfig", Kubeconfig(), "--metrics-bind-address", "localhost:99999"], output, error);
        Assert.Equal(2, exit);
        Assert.Equal(Documented("cli.md", "error: --metrics-bind-address:") + "\n", error.ToString());

        // A port that is taken: the operator gets as far as starting its endpoints, then stops with one line.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var error2 = new StringWriter();
        exit = await CommandTree.InvokeAsync(
            CommandTree.Build(),
            ["run", "--kubeconfig", Kubeconfig(), "--metrics-bind-address", $"127.0.0.1:{port}", "--health-probe-bind-address", "0", "--log-level", "error"],
            output,
            error2);
        Assert.Equal(2, exit);
        Assert.Equal(WithoutAddresses(Documented("cli.md", "error: cannot listen on")), WithoutAddresses(error2.ToString()));
    }

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Address();
}
