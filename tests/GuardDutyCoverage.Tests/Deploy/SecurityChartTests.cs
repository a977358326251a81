using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>The chart's trust-boundary values: the opt-in egress NetworkPolicy, AWS endpoints and allow-lists.</summary>
public sealed class SecurityChartTests
{
    private static readonly string[] NetworkPolicyOn =
    [
        "--set", "networkPolicy.enabled=true",
        "--set", "networkPolicy.apiServer.cidrs={10.0.0.0/16}",
    ];

    [HelmFact]
    public async Task TheNetworkPolicyIsOptIn()
    {
        var manifests = await Chart.RenderAsync();
        Assert.Empty(manifests.OfKind("NetworkPolicy"));
        Assert.DoesNotContain(manifests.OperatorArgs(), a => a.StartsWith("--allowed-", StringComparison.Ordinal));
        Assert.DoesNotContain(manifests.OperatorContainer()["env"]!.AsArray(), e => e!["name"]!.GetValue<string>().StartsWith("AWS_ENDPOINT_URL", StringComparison.Ordinal));
    }

    [HelmFact]
    public async Task WithoutTheApiServersAddressesTheNetworkPolicyIsAClearError()
    {
        var result = await Chart.TemplateAsync("--set", "networkPolicy.enabled=true");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("networkPolicy.apiServer.cidrs", result.StandardError);
    }

    [HelmFact]
    public async Task TheNetworkPolicyAllowsOnlyDnsTheApiServerAwsAndTheNotificationHosts()
    {
        string[] values = [.. NetworkPolicyOn, "--set", "networkPolicy.notifications.cidrs={203.0.113.7/32}"];
        Assert.Contains("0 chart(s) failed", (await Chart.LintAsync(values)).Ok("helm lint --strict with the NetworkPolicy"));
        var manifests = await Chart.RenderAsync(values);
        var policy = manifests.Single("NetworkPolicy");
        var spec = policy["spec"]!.AsObject();

        // It selects exactly the operator's pods.
        var podLabels = manifests.Single("Deployment")["spec"]!["selector"]!["matchLabels"]!;
        Assert.True(JsonNode.DeepEquals(podLabels, spec["podSelector"]!["matchLabels"]));
        Assert.Equal(["Egress"], Manifests.Strings(spec["policyTypes"]));

        var rules = spec["egress"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(4, rules.Count);

        var dns = rules[0];
        Assert.Equal("kube-system", dns["to"]![0]!["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]!.GetValue<string>());
        Assert.Equal("kube-dns", dns["to"]![0]!["podSelector"]!["matchLabels"]!["k8s-app"]!.GetValue<string>());
        Assert.Equal(["UDP/53", "TCP/53"], Ports(dns));

        Assert.Equal(["10.0.0.0/16"], Cidrs(rules[1]));
        Assert.Equal(["TCP/443", "TCP/6443"], Ports(rules[1]));

        var aws = rules[2];
        Assert.Equal(["0.0.0.0/0"], Cidrs(aws));
        Assert.Equal(["169.254.0.0/16"], Manifests.Strings(aws["to"]![0]!["ipBlock"]!["except"]));
        Assert.Equal(["TCP/443"], Ports(aws));

        Assert.Equal(["203.0.113.7/32"], Cidrs(rules[3]));
        Assert.Equal(["TCP/443"], Ports(rules[3]));

        // No rule reaches instance metadata or the Pod Identity agent unless asked for.
        Assert.DoesNotContain(rules.SelectMany(Cidrs), c => c.StartsWith("169.254.", StringComparison.Ordinal));
    }

    [HelmFact]
    public async Task CredentialAndMetadataEgressAreSeparateOptIns()
    {
        var manifests = await Chart.RenderAsync([
            .. NetworkPolicyOn,
            "--set", "networkPolicy.aws.podIdentityAgent=true",
            "--set", "networkPolicy.aws.instanceMetadata=true",
            "--set", "networkPolicy.aws.cidrs={10.0.128.0/24}",
        ]);
        var rules = manifests.Single("NetworkPolicy")["spec"]!["egress"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(5, rules.Count);
        Assert.Equal(["10.0.128.0/24"], Cidrs(rules[2]));
        Assert.Null(rules[2]["to"]![0]!["ipBlock"]!["except"]);
        Assert.Equal(["169.254.170.23/32", "fd00:ec2::23/128"], Cidrs(rules[3]));
        Assert.Equal(["TCP/80"], Ports(rules[3]));
        Assert.Equal(["169.254.169.254/32"], Cidrs(rules[4]));
    }

    [HelmFact]
    public async Task EndpointValuesBecomeTheOperatorsFlagsAndEnvironment()
    {
        var manifests = await Chart.RenderAsync(
            "--set", "aws.allowedEndpoints={http://127.0.0.1,https://*.corp.example:8443}",
            "--set", "notifications.allowedUrls={http://relay.monitoring.svc:8080}",
            "--set", "aws.endpoints.guardDuty=https://vpce-0abc-1def.guardduty.us-east-1.vpce.amazonaws.com",
            "--set", "aws.endpoints.sts=https://sts.us-east-1.amazonaws.com");
        var args = manifests.OperatorArgs();
        var allowed = Assert.Single(args, a => a.StartsWith(AwsEndpointPolicy.Flag + "=", StringComparison.Ordinal));
        // What the chart renders is what the operator parses.
        var parsed = OriginAllowList.Parse(allowed[(AwsEndpointPolicy.Flag.Length + 1)..], AwsEndpointPolicy.Flag);
        Assert.Equal(["http://127.0.0.1", "https://*.corp.example:8443"], parsed.Entries);
        var notify = Assert.Single(args, a => a.StartsWith(NotificationTransport.Flag + "=", StringComparison.Ordinal));
        Assert.Equal(["http://relay.monitoring.svc:8080"], OriginAllowList.Parse(notify[(NotificationTransport.Flag.Length + 1)..], NotificationTransport.Flag).Entries);

        var env = manifests.OperatorContainer()["env"]!.AsArray()
            .Where(e => e!["name"]!.GetValue<string>().StartsWith("AWS_ENDPOINT_URL", StringComparison.Ordinal))
            .ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
        Assert.Equal(2, env.Count);
        // The operator reads them with the AWS SDKs' standard variables.
        var overrides = AwsEndpointOverrides.FromEnvironment(name => env.GetValueOrDefault(name));
        Assert.Equal("vpce-0abc-1def.guardduty.us-east-1.vpce.amazonaws.com", overrides.GuardDuty!.Host);
        Assert.Equal("sts.us-east-1.amazonaws.com", overrides.Sts!.Host);
        Assert.Null(overrides.Eks);
    }

    [HelmTheory]
    [InlineData("aws.allowedEndpoints={https://proxy.corp.example/path}")]
    [InlineData("aws.allowedEndpoints={proxy.corp.example}")]
    [InlineData("notifications.allowedUrls={https://user@relay.example}")]
    [InlineData("aws.endpoints.eks=ftp://eks.example")]
    [InlineData("networkPolicy.apiServer.cidrs={10.0.0.1}")]
    public async Task BadValuesAreRejectedByTheSchema(string value)
    {
        var result = await Chart.TemplateAsync("--set", value);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("values don't meet the specifications of the schema", result.StandardError);
    }

    private static IReadOnlyList<string> Cidrs(JsonObject rule) =>
        rule["to"]!.AsArray().Select(t => t!["ipBlock"]?["cidr"]?.GetValue<string>()).OfType<string>().ToList();

    private static IReadOnlyList<string> Ports(JsonObject rule) =>
        rule["ports"]!.AsArray().Select(p => $"{p!["protocol"]!.GetValue<string>()}/{p["port"]!.GetValue<long>()}").ToList();
}
