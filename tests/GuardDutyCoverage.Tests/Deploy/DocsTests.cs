using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>The deployment docs stay true: their manifests, values and policies are checked against the real things.</summary>
public sealed partial class DocsTests
{
    private static readonly string[] Pages = ["install.md", "aws-access.md", "gitops.md", "rbac.md", "monitoring.md", "security.md"];

    private static readonly string[] RequiredReadActions =
    [
        "guardduty:ListDetectors", "guardduty:GetDetector", "guardduty:ListCoverage", "guardduty:GetCoverageStatistics",
        "eks:DescribeCluster", "eks:DescribeAddon", "eks:DescribeAddonVersions",
        "ec2:DescribeVpcAttribute", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs",
    ];

    private static string Read(string page) => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", page));

    private static IEnumerable<(string Language, string Body)> CodeBlocks(string markdown) =>
        FencedBlock().Matches(markdown).Select(m => (m.Groups["lang"].Value, Dedent(m.Groups["body"].Value)));

    [Fact]
    public void IamPoliciesGrantExactlyTheCallsTheOperatorMakes()
    {
        var policies = CodeBlocks(Read("aws-access.md"))
            .Where(b => b.Language == "json")
            .Select(b => JsonNode.Parse(b.Body)!)
            .ToArray();
        var permissionPolicies = policies.Where(p => Statements(p).All(s => s["Principal"] is null)).ToArray();
        // One read-only policy: the operator never writes to AWS (the add-on OVERWRITE fix is reported, not applied),
        // except, opt-in, events:PutEvents on the one bus notifications go to.
        var notifications = Assert.Single(permissionPolicies, p => Actions(p).Contains("events:PutEvents"));
        Assert.Equal(["events:PutEvents"], Actions(notifications));
        Assert.All(Statements(notifications), s => Assert.Matches(@"^arn:aws:events:[a-z0-9-]+:\d{12}:event-bus/[\w.-]+$", s["Resource"]!.GetValue<string>()));
        var permissionPolicy = Assert.Single(permissionPolicies, p => p != notifications);
        Assert.Equal(RequiredReadActions.Order(StringComparer.Ordinal), Actions(permissionPolicy).Order(StringComparer.Ordinal));
        Assert.All(policies.SelectMany(Statements), s => Assert.Equal("Allow", s["Effect"]!.GetValue<string>()));
        Assert.All(permissionPolicies.SelectMany(Statements).SelectMany(s => Strings(s["Action"])), a => Assert.DoesNotContain('*', a));
        Assert.DoesNotContain("events:PutEvents", Actions(permissionPolicy));

        var trust = policies.Except(permissionPolicies).ToArray();
        Assert.Equal(2, trust.Length);
        Assert.Contains(trust, t => Actions(t).SequenceEqual(["sts:AssumeRoleWithWebIdentity"])
            && Statements(t).Single()["Condition"]!["StringEquals"]!.AsObject().Any(c => c.Value!.GetValue<string>() == "system:serviceaccount:guardduty-coverage-system:guardduty-coverage-operator"));
        Assert.Contains(trust, t => Actions(t).Order().SequenceEqual(["sts:AssumeRole", "sts:TagSession"])
            && Statements(t).Single()["Principal"]!["Service"]!.GetValue<string>() == "pods.eks.amazonaws.com");
    }

    [Theory]
    [InlineData("guardduty", "guardduty-2017-11-28.service-2.json")]
    [InlineData("eks", "eks-2017-11-01.service-2.json")]
    [InlineData("events", "events-2015-10-07.service-2.json")]
    public void PolicyActionsAreOperationsOfTheServiceModels(string prefix, string model)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RepoPaths.TestData("aws-models", model)));
        var operations = document.RootElement.GetProperty("operations").EnumerateObject().Select(o => o.Name).ToHashSet();
        var actions = CodeBlocks(Read("aws-access.md"))
            .Where(b => b.Language == "json")
            .SelectMany(b => Statements(JsonNode.Parse(b.Body)!))
            .SelectMany(s => Strings(s["Action"]))
            .Where(a => a.StartsWith(prefix + ":", StringComparison.Ordinal))
            .ToArray();
        Assert.NotEmpty(actions);
        Assert.All(actions, a => Assert.Contains(a[(prefix.Length + 1)..], operations));
    }

    [Fact]
    public void Ec2PolicyActionsAreOperationsOfTheEc2Client()
    {
        var actions = RequiredReadActions.Where(a => a.StartsWith("ec2:", StringComparison.Ordinal)).ToArray();
        Assert.All(actions, a => Assert.NotNull(typeof(Amazon.EC2.IAmazonEC2).GetMethod(a["ec2:".Length..] + "Async", [typeof(Amazon.EC2.Model.DescribeVpcAttributeRequest).Assembly.GetType($"Amazon.EC2.Model.{a["ec2:".Length..]}Request")!, typeof(CancellationToken)])));
    }

    [Fact]
    public void GuardDutyCoveragesInTheDocsAreValidForTheCrd()
    {
        var schema = CrdSchema.CheckedInSchema();
        var checkedCount = 0;
        foreach (var page in Pages)
        {
            foreach (var (_, body) in CodeBlocks(Read(page)).Where(b => b.Language == "yaml"))
            {
                foreach (var document in YamlJson.ParseAll(body))
                {
                    if (document["kind"]?.GetValue<string>() == "GuardDutyCoverage")
                    {
                        Assert.Equal("coverage.guardduty.io/v1alpha1", document["apiVersion"]!.GetValue<string>());
                        Assert.Empty(CrdSchema.Validate(schema, document));
                        checkedCount++;
                    }
                }
            }
        }

        Assert.True(checkedCount >= 2, $"only {checkedCount} GuardDutyCoverage examples found in the docs");
    }

    [HelmFact]
    public async Task ChartValuesInTheDocsRender()
    {
        var values = new List<JsonNode>();
        foreach (var page in Pages)
        {
            foreach (var (_, body) in CodeBlocks(Read(page)).Where(b => b.Language == "yaml"))
            {
                if (body.StartsWith("# values.yaml for guardduty-coverage-operator", StringComparison.Ordinal))
                {
                    values.Add(YamlJson.Parse(body)!);
                }

                foreach (var document in YamlJson.ParseAll(body))
                {
                    if (document["kind"]?.GetValue<string>() == "HelmRelease")
                    {
                        values.Add(document["spec"]!["values"]!);
                    }
                    else if (document["kind"]?.GetValue<string>() == "Application" && document["spec"]!["source"]!["helm"] is { } helm)
                    {
                        values.Add(helm["valuesObject"]!);
                    }
                }
            }
        }

        Assert.True(values.Count >= 4, $"only {values.Count} values examples found");
        using var scratch = new TempDirectory();
        foreach (var (value, index) in values.Select((v, i) => (v, i)))
        {
            var file = Path.Combine(scratch.Path, $"values-{index}.yaml");
            await File.WriteAllTextAsync(file, YamlJson.Serialize(value));
            await Chart.RenderAsync("-f", file);
        }
    }

    [Fact]
    public void RbacDocNamesEveryResourceTheChartCanGrant()
    {
        var doc = Read("rbac.md");
        foreach (var resource in new[]
                 {
                     "guarddutycoverages", "guarddutycoverages/status", "priorityclasses", "clusterrolebindings",
                     "validatingwebhookconfigurations", "mutatingwebhookconfigurations", "namespaces", "subjectaccessreviews",
                     "events", "daemonsets", "pods", "leases", "clusterroles", "secrets",
                 })
        {
            Assert.Contains($"`{resource}`", doc, StringComparison.Ordinal);
        }
    }

    [HelmFact]
    public async Task RbacDocCoversEveryPermissionOfTheAllFeaturesChart()
    {
        var doc = Read("rbac.md");
        var permissions = Rbac.PermissionsOf(await Chart.RenderAsync("-f", Chart.AllFeaturesValues), Chart.Namespace, Chart.ServiceAccount);
        foreach (var resource in permissions.Select(p => p.Resource).Distinct())
        {
            Assert.Contains($"`{resource}`", doc, StringComparison.Ordinal);
        }

        foreach (var verb in permissions.Select(p => p.Verb).Distinct())
        {
            Assert.Matches($@"\b{verb}\b", doc);
        }
    }

    [Fact]
    public void RelativeLinksResolve()
    {
        foreach (var page in Pages)
        {
            foreach (Match link in RelativeLink().Matches(Read(page)))
            {
                var target = link.Groups["path"].Value;
                Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "docs", target)), $"docs/{page} links to missing {target}");
                if (link.Groups["anchor"].Success)
                {
                    var anchors = Read(target).Split('\n').Where(l => l.StartsWith('#')).Select(Anchor).ToHashSet();
                    Assert.True(anchors.Contains(link.Groups["anchor"].Value), $"docs/{page} links to missing anchor {target}#{link.Groups["anchor"].Value}");
                }
            }
        }
    }

    private static string Anchor(string heading) =>
        Regex.Replace(heading.TrimStart('#').Trim().ToLowerInvariant(), "[^a-z0-9 _-]", "").Replace(' ', '-');

    private static IEnumerable<JsonNode> Statements(JsonNode policy) => policy["Statement"]!.AsArray()!.Select(s => s!);

    private static IEnumerable<string> Actions(JsonNode policy) => Statements(policy).SelectMany(s => Strings(s["Action"]));

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(a => a!.GetValue<string>()),
        JsonValue value => [value.GetValue<string>()],
        _ => [],
    };

    /// <summary>Code blocks inside list items are indented; the YAML and JSON in them are read without that indent.</summary>
    private static string Dedent(string body)
    {
        var lines = body.Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart(' ').Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart(' ')));
    }

    [GeneratedRegex(@"^[ ]*```(?<lang>[a-z]*)\n(?<body>.*?)^[ ]*```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"\]\((?<path>[a-z0-9-]+\.md)(?:#(?<anchor>[a-z0-9-]+))?\)")]
    private static partial Regex RelativeLink();
}
