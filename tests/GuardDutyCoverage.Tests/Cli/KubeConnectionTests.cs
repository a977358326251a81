using GuardDutyCoverage.Cli;

namespace GuardDutyCoverage.Tests.Cli;

public sealed class KubeConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gdc-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Valid = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: sandbox
          cluster: {server: "http://127.0.0.1:6443"}
        users:
        - name: admin
          user: {token: abc}
        contexts:
        - name: sandbox
          context: {cluster: sandbox, user: admin}
        current-context: sandbox
        """;

    [Fact]
    public void MissingFileIsAOneLineError()
    {
        var e = Assert.Throws<CliException>(() => KubeConnection.Load(Path.Combine(_dir, "nope"), null));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void UnknownContextIsNamed()
    {
        var e = Assert.Throws<CliException>(() => KubeConnection.Load(Write("config", Valid), "prod"));
        Assert.Contains("prod", e.Message);
    }

    [Fact]
    public void GarbageIsReportedWithThePath()
    {
        var path = Write("garbage", "clusters: [ {{{");
        var e = Assert.Throws<CliException>(() => KubeConnection.Load(path, null));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ValidConfigLoads()
    {
        var config = KubeConnection.Load(Write("config", Valid), null);
        Assert.Equal("http://127.0.0.1:6443/", new Uri(config.Host).ToString());
        Assert.Equal("abc", config.AccessToken);
    }
}
