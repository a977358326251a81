using System.Text.RegularExpressions;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>docs/failure-modes.md: every failure mode of the reference once, in order, with a status and only real codes.</summary>
public sealed partial class FailureModeMapTests
{
    private static readonly string Page = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "failure-modes.md"));

    private static List<(string Mode, string Status, List<string> Codes)> Rows() =>
        Row().Matches(Page).Select(m => (m.Groups["mode"].Value, m.Groups["status"].Value, Code().Matches(m.Groups["codes"].Value).Select(c => c.Groups[1].Value).ToList())).ToList();

    [Fact]
    public void EveryFailureModeOfTheReferenceIsMappedOnceInOrder()
    {
        var reference = File.ReadAllText(RepoPaths.TestData("reference", "real-world-failures.md"));
        var modes = ReferenceMode().Matches(reference).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(22, modes.Count);
        Assert.Equal(modes, Rows().Select(r => r.Mode));
    }

    [Fact]
    public void EveryNamedCodeIsACatalogRowAndEveryCoveredModeHasOne()
    {
        var rows = Rows();
        Assert.All(rows, r => Assert.Contains(r.Status, new[] { "covered", "partly", "not" }));
        Assert.All(rows.SelectMany(r => r.Codes), code => Assert.True(Catalog.Contains(code), $"{code} is not in the catalog"));
        Assert.All(rows.Where(r => r.Status != "not"), r => Assert.NotEmpty(r.Codes));

        var totals = Totals().Match(Page);
        Assert.True(totals.Success, "the page states its totals");
        Assert.Equal(rows.Count(r => r.Status == "covered"), int.Parse(totals.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(rows.Count(r => r.Status == "partly"), int.Parse(totals.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(rows.Count(r => r.Status == "not"), int.Parse(totals.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TheIssue9CodesAreEachMappedToAMode()
    {
        var mapped = Rows().SelectMany(r => r.Codes).ToHashSet(StringComparer.Ordinal);
        string[] issue9 =
        [
            ReasonCodes.NodesWithoutAgent, ReasonCodes.NodesNotCoverable, ReasonCodes.AgentKernelUnsupported, ReasonCodes.AgentOOMKilled,
            ReasonCodes.PodSecurityBlocksAgent, ReasonCodes.AgentPodSpecMutated, ReasonCodes.ResourceQuotaBlocksAgent, ReasonCodes.GitOpsOwnsAgentObjects,
            ReasonCodes.NetworkPolicyBlocksAgent, ReasonCodes.AddonStuckInProgress, ReasonCodes.GuardDutyFeatureMisconfigured,
            ReasonCodes.CoverageHealthyButNodesUncovered, ReasonCodes.GuardDutyCoverageStale, ReasonCodes.DuplicateAgentOnNode, ReasonCodes.VpcOwnedByAnotherAccount,
        ];
        Assert.All(issue9, code => Assert.Contains(code, mapped));
    }

    [GeneratedRegex(@"^\| (?<mode>FM-\d\d) [^|]+\| (?<status>\w+) \| (?<codes>[^|]*) \| [^|]+ \|$", RegexOptions.Multiline)]
    private static partial Regex Row();

    [GeneratedRegex(@"\[`(\w+)`\]\(troubleshooting\.md#\1\)")]
    private static partial Regex Code();

    [GeneratedRegex(@"^### (FM-\d\d) ", RegexOptions.Multiline)]
    private static partial Regex ReferenceMode();

    [GeneratedRegex(@"Totals: (\d+) covered, (\d+) partly, (\d+) not\.")]
    private static partial Regex Totals();
}
