using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Controller;
using In = GuardDutyCoverage.Diagnosis;
using Wire = GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Tests.Diagnosis;

/// <summary>
/// The diagnosis reads AWS answers as its own records, mapped from the Aws project's wire models by
/// <see cref="DiagnosisInputs"/>: every member must come through, under the name the official model gives it.
/// </summary>
public sealed class DiagnosisInputsTests
{
    private static readonly DateTimeOffset When = new(2026, 11, 26, 17, 0, 0, TimeSpan.Zero);

    // Both sides as JSON: the wire side by its [JsonPropertyName]s, the diagnosis side by camelCase member names.
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        Converters = { new Wire.AwsTimestampConverter() },
    };

    [Fact]
    public void NullItemsOfAnAnswersListsAreDroppedNotDereferenced()
    {
        // "features": [null, {...}] as a damaged get-detector.json has it (found by BundleFuzzTests).
        var wire = new Wire.GetDetectorResponse
        {
            Features = [null!, new Wire.DetectorFeatureConfigurationResult { Name = "RUNTIME_MONITORING", Status = "ENABLED", AdditionalConfiguration = [null!] }],
        };

        var mapped = wire.ToDiagnosis();

        var feature = Assert.Single(mapped.Features!);
        Assert.Equal("RUNTIME_MONITORING", feature.Name);
        Assert.Empty(feature.AdditionalConfiguration!);
    }

    public static TheoryData<string> MappedTypes()
    {
        var data = new TheoryData<string>();
        // Every wire record the diagnosis reads; the poller's snapshot of them has its own test below.
        foreach (var method in typeof(DiagnosisInputs).GetMethods(BindingFlags.Public | BindingFlags.Static)
                     .Where(m => m.Name == nameof(DiagnosisInputs.ToDiagnosis) && m.GetParameters()[0].ParameterType.Namespace == "GuardDutyCoverage.Aws.Model"))
        {
            data.Add(method.GetParameters()[0].ParameterType.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MappedTypes))]
    public void EveryMemberComesThroughUnderItsWireName(string typeName)
    {
        var method = typeof(DiagnosisInputs).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == nameof(DiagnosisInputs.ToDiagnosis) && m.GetParameters()[0].ParameterType.Name == typeName);
        var wireType = method.GetParameters()[0].ParameterType;
        var wire = Populated(wireType, typeName);
        var mapped = method.Invoke(null, [wire])!;

        Assert.Equal(typeName, mapped.GetType().Name);
        Assert.Equal("GuardDutyCoverage.Diagnosis", mapped.GetType().Namespace);
        var expected = JsonSerializer.SerializeToNode(wire, wireType, Json)!;
        var actual = JsonSerializer.SerializeToNode(mapped, mapped.GetType(), Json)!;
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{typeName}\nwire:      {expected.ToJsonString()}\ndiagnosis: {actual.ToJsonString()}");
    }

    [Fact]
    public void ThePollersSnapshotKeepsEachObservationsStateAndFailure()
    {
        var polled = new GuardDutyCoverage.Aws.AwsPollSnapshot
        {
            Region = "us-east-1",
            AccountId = "111122223333",
            DetectorId = "12abc34d567e8fa901bc2d34e56789f0",
            Coverage = new AwsObservation<Wire.CoverageResource>(new Wire.CoverageResource { ResourceId = "prod-eks-1", CoverageStatus = "HEALTHY" }, true, When, "GuardDuty ListCoverage: ThrottlingException: slow down", true) { FailureKind = AwsFailureKind.Other },
            Detector = AwsObservation<Wire.GetDetectorResponse>.Failure("denied", AwsFailureKind.AccessDenied),
            Addon = AwsObservation<Wire.EksAddon>.Success(null, When),
            AddonVersions = AwsObservation<IReadOnlyList<Wire.AddonVersionInfo>>.Success([new Wire.AddonVersionInfo { AddonVersion = "v1.17.1-eksbuild.2" }], When),
            GuardDutyDataEndpoints = AwsObservation<IReadOnlyList<Wire.VpcEndpointInfo>>.Success([], When),
        };

        var aws = polled.ToDiagnosis();

        Assert.Equal(("us-east-1", "111122223333", "12abc34d567e8fa901bc2d34e56789f0"), (aws.Region, aws.AccountId, aws.DetectorId));
        Assert.Equal(new AwsObservation<In.CoverageResource>(new In.CoverageResource { ResourceId = "prod-eks-1", CoverageStatus = "HEALTHY" }, true, When, "GuardDuty ListCoverage: ThrottlingException: slow down", true), aws.Coverage);
        Assert.Equal(AwsObservation<In.GetDetectorResponse>.Failure("denied", AwsFailureKind.AccessDenied), aws.Detector);
        Assert.Equal(AwsObservation<In.EksAddon>.Success(null, When), aws.Addon);
        Assert.Equal("v1.17.1-eksbuild.2", Assert.Single(aws.AddonVersions!.Value!).AddonVersion);
        Assert.Empty(aws.GuardDutyDataEndpoints!.Value!);
        Assert.Null(aws.Cluster);
        Assert.Null(aws.VpcDns);
        Assert.Null(aws.Ec2Coverage);
        Assert.Null(aws.Vpc);
    }

    /// <summary>An instance with every member set to a value that names it, nested records and lists included.</summary>
    private static object Populated(Type type, string path)
    {
        var parameterless = type.GetConstructor(Type.EmptyTypes);
        if (parameterless is null)
        {
            var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            return constructor.Invoke(constructor.GetParameters().Select(p => Sample(p.ParameterType, $"{path}.{p.Name}")).ToArray());
        }

        var value = parameterless.Invoke(null);
        foreach (var property in type.GetProperties().Where(p => p.CanWrite))
        {
            property.SetValue(value, Sample(property.PropertyType, $"{path}.{property.Name}"));
        }

        return value;
    }

    private static object? Sample(Type type, string path)
    {
        var bare = Nullable.GetUnderlyingType(type) ?? type;
        if (bare == typeof(string))
        {
            return path;
        }

        if (bare == typeof(bool))
        {
            return true;
        }

        if (bare == typeof(long))
        {
            return (long)path.Length;
        }

        if (bare == typeof(DateTimeOffset))
        {
            return When.AddSeconds(path.Length);
        }

        if (bare == typeof(IReadOnlyDictionary<string, string>))
        {
            return new Dictionary<string, string> { [path] = "value" };
        }

        if (bare.IsGenericType && bare.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var element = bare.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            list.Add(Sample(element, path + "[0]"));
            return list;
        }

        if (bare.IsClass && bare.Namespace == "GuardDutyCoverage.Aws.Model")
        {
            return Populated(bare, path);
        }

        throw new NotSupportedException($"{path}: no sample for {type}; teach the test this member type");
    }
}
