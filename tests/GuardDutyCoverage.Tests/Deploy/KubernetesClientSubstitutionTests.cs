using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using GuardDutyCoverage.Runtime;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// The NativeAOT image leaves out KubernetesClient's JSON context of every API model (issue 11): the operator has its
/// own context of the models it uses, and an ILC substitution stops the client's constructor from building the other.
/// These tests keep the three parts true together.
/// </summary>
public sealed partial class KubernetesClientSubstitutionTests
{
    private static readonly string SubstitutionFile = Path.Combine(RepoPaths.Root, "operator", "KubernetesClient.Substitutions.xml");

    [Fact]
    public void TheStubbedMethodExistsInTheKubernetesClientWeBuildWith()
    {
        var document = XDocument.Load(SubstitutionFile);
        var assembly = Assert.Single(document.Root!.Elements("assembly"));
        Assert.Equal(typeof(KubernetesClientConfiguration).Assembly.GetName().Name, assembly.Attribute("fullname")!.Value);
        var type = Assert.Single(assembly.Elements("type"));
        Assert.Equal(typeof(KubernetesJson).FullName, type.Attribute("fullname")!.Value);
        // ILC matches by signature (a "name" attribute is silently ignored), in ILLink's format.
        var methods = type.Elements("method").ToDictionary(m => m.Attribute("signature")!.Value, m => m.Attribute("body")!.Value, StringComparer.Ordinal);
        Assert.Equal(
            ["System.Void .cctor()", "System.Void AddJsonOptions(System.Action`1<System.Text.Json.JsonSerializerOptions>)"],
            methods.Keys.Order(StringComparer.Ordinal));
        Assert.All(methods.Values, body => Assert.Equal("stub", body));

        // The one static void method the signature names: a stub of it does nothing.
        var target = Assert.Single(typeof(KubernetesJson).GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance), m => m.Name == "AddJsonOptions");
        Assert.True(target.IsStatic);
        Assert.Equal(typeof(void), target.ReturnType);
        Assert.Equal(typeof(Action<JsonSerializerOptions>), Assert.Single(target.GetParameters()).ParameterType);

        // The static constructor is stubbed too: it is explicit (the type is not beforefieldinit), so even the stubbed
        // AddJsonOptions would run it, and it is what builds the options over the context of every model.
        Assert.NotNull(typeof(KubernetesJson).TypeInitializer);
        Assert.Equal((TypeAttributes)0, typeof(KubernetesJson).Attributes & TypeAttributes.BeforeFieldInit);
    }

    [Fact]
    public void TheOperatorPassesTheSubstitutionToIlc()
    {
        var project = XDocument.Load(Path.Combine(RepoPaths.Root, "operator", "GuardDutyCoverage.Operator.csproj"));
        var arguments = project.Descendants("IlcArg").Select(a => a.Attribute("Include")!.Value).ToList();
        Assert.Contains("--substitution:$(MSBuildThisFileDirectory)KubernetesClient.Substitutions.xml", arguments);
    }

    [Fact]
    public void NoOperatorCodeReachesKubernetesClientsOwnJsonContext()
    {
        // Any of these would build KubernetesJson's options (and root every model) however the getter is substituted.
        var forbidden = ForbiddenPattern();
        var offenders = RepoPaths.OperatorSources()
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(l => !l.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && forbidden.IsMatch(l.line))
            .Select(l => $"{Path.GetRelativePath(RepoPaths.Root, l.f)}:{l.i + 1}: {l.line.Trim()}")
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void EveryModelTheRuntimeReadsResolvesFromTheOperatorsOwnContext()
    {
        foreach (var type in new[]
        {
            typeof(V1Pod), typeof(V1DaemonSet), typeof(V1Node), typeof(V1Namespace), typeof(V1Lease), typeof(Eventsv1Event), typeof(Corev1Event),
            typeof(V1Status), typeof(V1ListMeta), typeof(VersionInfo), typeof(V1APIResourceList), typeof(V1SecurityContext), typeof(V1ResourceRequirements),
        })
        {
            Assert.NotNull(KubeModelJsonContext.Default.GetTypeInfo(type));
        }

        // A model the operator never uses is not there: a new use fails loudly in the tests that reach it.
        var missing = Assert.Throws<NotSupportedException>(() => KubeJson.Options.GetTypeInfo(typeof(V1ConfigMap)));
        Assert.Contains(nameof(V1ConfigMap), missing.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\bSourceGenerationContext\b|KubernetesJson\.(Serialize|Deserialize|AddJsonOptions|JsonSerializerOptions)\b|\.JsonSerializerOptions\b")]
    private static partial Regex ForbiddenPattern();
}
