using System.Diagnostics;
using System.Text;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// The external tools the deploy tests run: helm (installed into <c>.tools/bin</c> by <c>hack/install-tools.sh</c>),
/// kubectl, lua5.1/lua5.4 and make. Locally a missing tool skips its tests with a message saying how to install it;
/// under CI (<c>CI=true</c>) nothing is skipped, so a missing install step fails loudly instead of passing quietly.
/// </summary>
public static class DeployTools
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>helm: <c>$HELM</c>, else <c>.tools/bin/helm</c>, else PATH.</summary>
    public static string? Helm { get; } =
        FromEnvironment("HELM") ?? Executable(Path.Combine(RepoPaths.Root, ".tools", "bin", "helm")) ?? OnPath("helm");

    public static string? Kubectl { get; } = FromEnvironment("KUBECTL") ?? OnPath("kubectl");

    public static string? Make { get; } = OnPath("make");

    /// <summary>promtool (Debian's prometheus package; <c>hack/install-tools.sh promtool</c>): <c>$PROMTOOL</c>, else PATH.</summary>
    public static string? Promtool { get; } = FromEnvironment("PROMTOOL") ?? OnPath("promtool");

    /// <summary>Lua interpreters present: Argo CD runs health checks in gopher-lua (Lua 5.1), so 5.1 matters most.</summary>
    public static IReadOnlyList<string> LuaInterpreters { get; } =
        new[] { "lua5.1", "lua5.4" }.Select(OnPath).OfType<string>().ToArray();

    public static string? SkipReason(string tool, string? path, string install) =>
        path is not null || InCi ? null : $"{tool} not found: run {install} (CI installs it and never skips)";

    /// <summary>The tool's path, or a failure that says how to install it (only reached in CI or when not skipped).</summary>
    public static string Require(string tool, string? path, string install) =>
        path ?? throw new InvalidOperationException($"{tool} not found: run {install}");

    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, string? workingDirectory = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Helm must not read or write the developer's own repositories, plugins or cache.
        var helmHome = Path.Combine(Path.GetTempPath(), "gdc-deploy-tests-helm");
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(helmHome, "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(helmHome, "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(helmHome, "data");

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {fileName}");
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return new ProcessResult(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish within {Timeout}");
        }
    }

    private static string? FromEnvironment(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? Executable(value) ?? OnPath(value) : null;

    private static string? Executable(string path) => File.Exists(path) ? Path.GetFullPath(path) : null;

    private static string? OnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>The standard output of a command that must have succeeded; otherwise a failure with all it printed.</summary>
    public string Ok(string what) =>
        ExitCode == 0 ? StandardOutput : throw new Xunit.Sdk.XunitException($"{what} failed with exit code {ExitCode}:\n{StandardError}\n{StandardOutput}");
}

/// <summary>A test that needs helm.</summary>
public sealed class HelmFactAttribute : FactAttribute
{
    public HelmFactAttribute() => Skip = DeployTools.SkipReason("helm", DeployTools.Helm, "hack/install-tools.sh helm");
}

/// <summary>A theory that needs helm.</summary>
public sealed class HelmTheoryAttribute : TheoryAttribute
{
    public HelmTheoryAttribute() => Skip = DeployTools.SkipReason("helm", DeployTools.Helm, "hack/install-tools.sh helm");
}

/// <summary>A test that needs promtool.</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute() => Skip = DeployTools.SkipReason("promtool", DeployTools.Promtool, "hack/install-tools.sh promtool");
}

/// <summary>A test that needs kubectl (its built-in kustomize).</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute() => Skip = DeployTools.SkipReason("kubectl", DeployTools.Kubectl, "your package manager (kubectl 1.27+)");
}

/// <summary>A test that needs both helm and kubectl.</summary>
public sealed class HelmAndKubectlFactAttribute : FactAttribute
{
    public HelmAndKubectlFactAttribute() =>
        Skip = DeployTools.SkipReason("helm", DeployTools.Helm, "hack/install-tools.sh helm")
            ?? DeployTools.SkipReason("kubectl", DeployTools.Kubectl, "your package manager (kubectl 1.27+)");
}

/// <summary>A theory that needs both helm and kubectl.</summary>
public sealed class HelmAndKubectlTheoryAttribute : TheoryAttribute
{
    public HelmAndKubectlTheoryAttribute() =>
        Skip = DeployTools.SkipReason("helm", DeployTools.Helm, "hack/install-tools.sh helm")
            ?? DeployTools.SkipReason("kubectl", DeployTools.Kubectl, "your package manager (kubectl 1.27+)");
}

/// <summary>A theory that runs a Lua interpreter.</summary>
public sealed class LuaTheoryAttribute : TheoryAttribute
{
    public LuaTheoryAttribute() =>
        Skip = DeployTools.SkipReason("lua5.1/lua5.4", DeployTools.LuaInterpreters.Count > 0 ? "" : null, "hack/install-tools.sh lua");
}
