using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GuardDutyCoverage.Util;

/// <summary>
/// What this binary is: the release version (from the repository's VERSION file, through Directory.Build.props), the
/// commit it was built from (when the build saw the git repository), the platform it was compiled for and how it runs.
/// `guardduty-coverage version`, the build-info metric, the startup log line and the AWS User-Agent all read it here.
/// </summary>
public sealed record BuildInfo(string Version, string Revision, string Os, string Arch, string Runtime, bool NativeAot)
{
    /// <summary>The revision when the build had no git repository to read (a container build without .git).</summary>
    public const string UnknownRevision = "unknown";

    /// <summary>This process.</summary>
    public static BuildInfo Current { get; } = FromAssembly(typeof(BuildInfo).Assembly);

    /// <summary><c>linux/arm64</c>: the platform as container images and Kubernetes nodes (kubernetes.io/arch) name it.</summary>
    public string Platform => $"{Os}/{Arch}";

    /// <summary>One line for people and logs: <c>0.1.0 (commit 1a2b3c4, linux/amd64, .NET 10.0.1, NativeAOT)</c>.</summary>
    public string Summary =>
        $"{Version} (commit {ShortRevision}, {Platform}, {Runtime}{(NativeAot ? ", NativeAOT" : "")})";

    private string ShortRevision => Revision.Length > 12 ? Revision[..12] : Revision;

    /// <summary>
    /// Splits the informational version the SDK writes (<c>0.1.0+&lt;commit sha&gt;</c>) into version and revision.
    /// </summary>
    public static BuildInfo FromAssembly(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString(3)
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} carries no version");
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus < 0 ? informational : informational[..plus];
        var revision = plus < 0 || plus == informational.Length - 1 ? UnknownRevision : informational[(plus + 1)..];
        return new BuildInfo(
            version,
            revision,
            OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsWindows() ? "windows" : "unknown",
            KubernetesArch(RuntimeInformation.ProcessArchitecture),
            RuntimeInformation.FrameworkDescription,
            // Compiled ahead of time, nothing is generated at run time: that is what NativeAOT means for this process.
            !RuntimeFeature.IsDynamicCodeSupported);
    }

    /// <summary>GOARCH names, as kubernetes.io/arch and image platforms use them.</summary>
    public static string KubernetesArch(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        _ => architecture.ToString().ToLowerInvariant(),
    };
}
