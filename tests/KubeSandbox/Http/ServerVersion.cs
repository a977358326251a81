using System.Text.Json.Nodes;

namespace KubeSandbox.Http;

/// <summary>
/// The body of <c>/version</c>. <see cref="Recorded"/> is, field for field, what the kube-apiserver of the k8s-golden
/// recordings answered (01-get-version.json: v1.24): the sandbox's behaviour is checked against that server, so by
/// default it says it is that server. A test that needs another gitVersion (e.g. a cluster too old for some agent) sets
/// <see cref="SandboxOptions.KubernetesVersion"/>; major and minor follow it, the build fields stay the recorded ones.
/// </summary>
public sealed record ServerVersion(
    string GitVersion,
    string GitCommit,
    string GitTreeState,
    string BuildDate,
    string GoVersion,
    string Compiler,
    string Platform)
{
    /// <summary>kube-apiserver v1.24 as recorded in tests/testdata/k8s-golden/01-get-version.json.</summary>
    public static ServerVersion Recorded { get; } = new(
        GitVersion: "v1.24.0+0",
        GitCommit: "2cc6ddc68588debdbb6806e1b57e73207505324f",
        GitTreeState: "clean",
        BuildDate: "2022-05-06T09:44:28Z",
        GoVersion: "go1.19.8",
        Compiler: "gc",
        Platform: "linux/amd64");

    /// <summary>"1" of v1.24.0+0 (what kube-apiserver derives from its build's version).</summary>
    public string Major => Numbers().Major;

    /// <summary>"24" of v1.24.0+0.</summary>
    public string Minor => Numbers().Minor;

    /// <summary>The JSON kube-apiserver answers, in its field order.</summary>
    public JsonObject ToJson() => new()
    {
        ["major"] = Major,
        ["minor"] = Minor,
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = GitCommit,
        ["gitTreeState"] = GitTreeState,
        ["buildDate"] = BuildDate,
        ["goVersion"] = GoVersion,
        ["compiler"] = Compiler,
        ["platform"] = Platform,
    };

    private (string Major, string Minor) Numbers()
    {
        var numbers = GitVersion.TrimStart('v').Split('.', '-', '+');
        return (numbers.Length > 0 ? numbers[0] : "1", numbers.Length > 1 ? numbers[1] : "0");
    }
}
