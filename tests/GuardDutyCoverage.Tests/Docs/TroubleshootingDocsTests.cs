using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using GuardDutyCoverage.Tests.Deploy;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>
/// docs/troubleshooting.md against the catalog the operator runs with (<see cref="Catalog"/>, <see cref="ReasonCodes"/>):
/// a section per reason code in the catalog's order with its facts and steps, every condition reason explained, the
/// examples valid.
/// </summary>
public sealed partial class TroubleshootingDocsTests
{
    private static readonly DocPage Page = DocPage.Load("troubleshooting.md");

    /// <summary>The sections anchored by an explicit id: the reason codes.</summary>
    private static List<DocSection> ReasonSections() =>
        Page.Sections().Where(s => s.Level == 3 && s.ExplicitAnchor is not null).ToList();

    private static DocSection ReasonSection(string reason) =>
        ReasonSections().SingleOrDefault(s => s.ExplicitAnchor == reason)
        ?? throw new Xunit.Sdk.XunitException($"docs/troubleshooting.md has no section anchored \"{reason}\"");

    private static string SeedCatalog => File.ReadAllText(RepoPaths.TestData("reference", "CATALOG.md"));

    public static TheoryData<string> Reasons()
    {
        var data = new TheoryData<string>();
        foreach (var entry in Catalog.Entries)
        {
            data.Add(entry.Reason);
        }

        return data;
    }

    [Fact]
    public void EveryReasonCodeHasOneSectionInTheCatalogsOrderAnchoredByTheCode()
    {
        var codes = typeof(ReasonCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        Assert.Equal(codes.Order(StringComparer.Ordinal), Catalog.Entries.Select(e => e.Reason).Order(StringComparer.Ordinal));

        var sections = ReasonSections();
        Assert.Equal(Catalog.Entries.Select(e => e.Reason), sections.Select(s => s.ExplicitAnchor));
        Assert.All(sections, s => Assert.Equal(s.ExplicitAnchor, s.Title));
    }

    [Theory]
    [MemberData(nameof(Reasons))]
    public void SectionStatesWhatTheCatalogSays(string reason)
    {
        var entry = Catalog.Get(reason);
        var section = ReasonSection(reason);
        var facts = DocPage.Facts(section.Lines);

        Assert.Equal(entry.Severity.ToString(), facts["Severity"]);
        Assert.Equal($"`{entry.Check}`", facts["Check"]);
        Assert.Equal(string.Join(", ", entry.Sources), facts["Seen by"]);

        if (entry.GuardDutyIssue is null)
        {
            Assert.StartsWith("none", facts["GuardDuty reports"], StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal([entry.GuardDutyIssue], DocPage.CodeSpans(facts["GuardDuty reports"]));
        }

        if (entry.AddonIssueCodes.Count == 0)
        {
            Assert.Equal("none", facts["EKS add-on issue codes"]);
        }
        else
        {
            Assert.Equal(entry.AddonIssueCodes, DocPage.CodeSpans(facts["EKS add-on issue codes"]));
        }

        if (entry.AutoFix == AutoFix.None)
        {
            Assert.Equal("none", facts["Auto-fix"]);
        }
        else
        {
            Assert.Equal(entry.AutoFix.ToString(), DocPage.CodeSpans(facts["Auto-fix"])[0]);
        }

        var inSeed = SeedCatalog.Contains($"`{reason}`", StringComparison.Ordinal);
        Assert.StartsWith(inSeed ? "yes" : "no", facts["In the seed catalog"], StringComparison.Ordinal);

        // What it means starts with the catalog's own summary.
        Assert.Contains(entry.Summary, string.Join(' ', section.Lines), StringComparison.Ordinal);

        // Every source that can see it is explained.
        var seenBy = string.Join('\n', section.Lines
            .SkipWhile(l => l != "How it is seen:")
            .TakeWhile(l => l != "Steps:")
            .Where(l => l.StartsWith("- **", StringComparison.Ordinal)));
        Assert.NotEmpty(seenBy);
        Assert.All(entry.Sources, s => Assert.Contains(s.ToString(), seenBy, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Reasons))]
    public void StepsAreTheCatalogsAsTheOperatorRendersThem(string reason)
    {
        // An empty context renders every placeholder as <name>, the way the page explains them.
        var expected = Catalog.Get(reason).Steps
            .Select(new RemediationContext().Render)
            .SelectMany(step => step.Split('\n').Select((line, i) => (i == 0 ? "- " : "  ") + line));
        var steps = ReasonSection(reason).Blocks.FirstOrDefault(b => b.Language == "text");
        Assert.True(steps is not null, $"{reason} has no steps block");
        Assert.Equal(expected, steps.Lines);
    }

    [Fact]
    public void TheGeneratedPartsOfTheDocsAreUpToDate()
    {
        foreach (var page in CatalogDocs.Pages)
        {
            var committed = File.ReadAllText(Path.Combine(RepoPaths.Root, page));
            Assert.Contains("<!-- BEGIN GENERATED ", committed, StringComparison.Ordinal);
            Assert.True(CatalogDocs.Regenerate(committed) == committed, $"{page} is stale: run `make docs` and commit the result.");
        }
    }

    [Theory]
    [MemberData(nameof(Reasons))]
    public void EveryRowHoldsItsDocTextAndNamesEverySourceThatSeesIt(string reason)
    {
        var entry = Catalog.Get(reason);
        var doc = entry.Doc;
        Assert.True(doc is not null, $"{reason}: the row has no Doc (the prose of its section in docs/troubleshooting.md)");
        Assert.NotEmpty(doc.Details);
        Assert.NotEmpty(doc.SeenBy);
        var labels = string.Join(" ", doc.SeenBy.Select(s => s.Label));
        Assert.All(entry.Sources, s => Assert.Contains(s.ToString(), labels, StringComparison.Ordinal));
    }

    [Fact]
    public void TheIndexTableListsEveryCodeWithSeverityCheckAndSources()
    {
        var section = Page.Sections().Single(s => s.Level == 2 && s.Title == "Reason codes");
        var rows = DocPage.TableRows(section.Lines.TakeWhile(l => !l.StartsWith("<a id=", StringComparison.Ordinal)))
            .Skip(2)
            .ToList();
        Assert.Equal(Catalog.Entries.Count, rows.Count);
        foreach (var (entry, row) in Catalog.Entries.Zip(rows))
        {
            Assert.Equal($"[`{entry.Reason}`](#{entry.Reason})", row[0]);
            Assert.Equal(entry.Severity.ToString(), row[1]);
            Assert.Equal($"`{entry.Check}`", row[2]);
            Assert.Equal(string.Join(", ", entry.Sources), row[3]);
        }
    }

    [Fact]
    public void EveryCheckHasARowListingItsReasonCodes()
    {
        var section = Page.Sections().Single(s => s.Title == "Conditions");
        var rows = DocPage.TableRows(section.Lines).Where(r => r.Length == 5).Skip(2).ToList();
        Assert.Equal(CheckTypes.All.Select(c => $"`{c}`"), rows.Select(r => r[0]));
        foreach (var row in rows)
        {
            var listed = DocPage.CodeSpans(row[4]).ToHashSet(StringComparer.Ordinal);
            var own = Catalog.Entries.Where(e => $"`{e.Check}`" == row[0]).Select(e => e.Reason);
            Assert.All(own, reason => Assert.Contains(reason, listed));
            Assert.All(listed.Where(l => l != "False" && l != "RolloutInProgress"), l => Assert.True(Catalog.Contains(l), $"{row[0]} lists {l}, which is not a reason code"));
        }
    }

    [Fact]
    public void CodesBeyondTheSeedCatalogAreMarkedAsProposed()
    {
        var beyond = Catalog.Entries.Where(e => !SeedCatalog.Contains($"`{e.Reason}`", StringComparison.Ordinal)).Select(e => e.Reason).ToList();
        Assert.Contains(ReasonCodes.GuardDutyDataEndpointMissing, beyond);
        Assert.Contains(ReasonCodes.ClusterViewStale, beyond);
        // The row says where it comes from, and says it truly: a Seed row is in CATALOG.md, no other is.
        Assert.Equal(beyond, Catalog.Entries.Where(e => e.Doc?.Origin != CatalogOrigin.Seed).Select(e => e.Reason));
        foreach (var reason in beyond)
        {
            Assert.Contains("proposed addition", DocPage.Facts(ReasonSection(reason).Lines)["In the seed catalog"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryConditionReasonAndEventReasonTheOperatorWritesIsExplained()
    {
        var written = new SortedSet<string>(StringComparer.Ordinal) { StatusComposer.InvalidSpecReason, StatusComposer.EndpointNotAllowedReason };
        foreach (var file in RepoPaths.OperatorSources()
                     .Where(f => f.Contains("/Diagnosis/", StringComparison.Ordinal) || f.Contains("/Controller/", StringComparison.Ordinal)))
        {
            var source = File.ReadAllText(file);
            foreach (var pattern in new[] { NoteReason(), CheckDefinitionReason(), ReadinessReason(), OutcomeReason(), EventReason() })
            {
                foreach (Match m in pattern.Matches(source))
                {
                    written.Add(m.Groups["reason"].Value);
                }
            }
        }

        // The conditions' own reasons, defined once with each condition.
        foreach (var condition in ConditionChecks.All.Select(c => c.Condition))
        {
            written.Add(condition.HealthyReason);
            written.UnionWith(condition.UnknownReasons);
        }

        // The scan must find what it is meant to find, or this test proves nothing.
        Assert.True(written.Count >= 25, $"only {written.Count} reasons found: {string.Join(", ", written)}");
        Assert.Contains("NotObserved", written);
        Assert.Contains("AgentAvailable", written);
        Assert.Contains("CoverageUnknown", written);
        Assert.Contains("RemediationApplied", written);

        var explained = Page.Lines.SelectMany(l => DocPage.CodeSpans(l)).ToHashSet(StringComparer.Ordinal);
        var unexplained = written.Where(r => !explained.Contains(r) && !Catalog.Contains(r)).ToList();
        Assert.True(unexplained.Count == 0, "docs/troubleshooting.md does not explain: " + string.Join(", ", unexplained));
    }

    [Fact]
    public void TheInvalidSpecExampleShowsTheValidatorsMessage()
    {
        var section = Page.Sections().Single(s => s.Title == "Stalled with reason `InvalidSpec`");
        var yaml = Assert.Single(section.Blocks, b => b.Language == "yaml");
        var message = Assert.Single(section.Blocks, b => b.Language == "text");
        var coverage = YamlJson.Parse(yaml.Body)!.Deserialize(ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)!;

        var validation = SpecValidator.Validate(coverage.Spec, new OperatorOptions());
        Assert.False(validation.IsValid);
        var status = StatusComposer.InvalidSpec(validation.Problems, null, 1, DateTimeOffset.UnixEpoch);
        var ready = status.Conditions!.Find(ConditionTypes.Ready)!;
        Assert.Equal(StatusComposer.InvalidSpecReason, ready.Reason);
        Assert.Equal(message.Body, ready.Message);
        Assert.Equal(ready.Message, status.Conditions!.Find(ConditionTypes.Stalled)!.Message);
    }

    [Fact]
    public void GuardDutyCoverageExamplesAreValidForTheCrd()
    {
        var schema = CrdSchema.CheckedInSchema();
        var checkedCount = 0;
        foreach (var page in new[] { "troubleshooting.md", "cli.md" })
        {
            foreach (var block in DocPage.Load(page).Blocks.Where(b => b.Language == "yaml"))
            {
                foreach (var document in YamlJson.ParseAll(block.Body).Where(d => d["kind"]?.GetValue<string>() == V1Alpha1GuardDutyCoverage.KindName))
                {
                    Assert.Empty(CrdSchema.Validate(schema, document));
                    checkedCount++;
                }
            }
        }

        Assert.True(checkedCount >= 2, $"only {checkedCount} GuardDutyCoverage examples found");
    }

    [Fact]
    public void LinksToAndWithinTheseTwoPagesResolve()
    {
        var anchors = new Dictionary<string, ISet<string>>(StringComparer.Ordinal);
        ISet<string> AnchorsOf(string page) => anchors.TryGetValue(page, out var known) ? known : anchors[page] = DocPage.Load(page).Anchors();

        var links = 0;
        foreach (var name in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Select(Path.GetFileName))
        {
            var page = DocPage.Load(name!);
            var ours = name is "cli.md" or "troubleshooting.md";
            foreach (var (target, anchor) in page.RelativeLinks())
            {
                if (!ours && target is not ("cli.md" or "troubleshooting.md"))
                {
                    continue;
                }

                Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "docs", target)), $"docs/{name} links to missing {target}");
                Assert.True(anchor is null || AnchorsOf(target).Contains(anchor), $"docs/{name} links to missing anchor {target}#{anchor}");
                links++;
            }

            if (ours)
            {
                foreach (var anchor in page.SamePageLinks())
                {
                    Assert.True(AnchorsOf(name!).Contains(anchor), $"docs/{name} links to missing anchor #{anchor}");
                    links++;
                }
            }
        }

        Assert.True(links >= 60, $"only {links} links checked");
    }

    [GeneratedRegex(@"Note\(CheckTypes\.\w+,\s*ConditionStatus\.\w+,\s*""(?<reason>[A-Z]\w+)""")]
    private static partial Regex NoteReason();

    [GeneratedRegex(@"new\(CheckTypes\.\w+,\s*""(?<reason>[A-Z]\w+)""")]
    private static partial Regex CheckDefinitionReason();

    [GeneratedRegex(@"\b[Rr]eason = ""(?<reason>[A-Z]\w+)""")]
    private static partial Regex ReadinessReason();

    [GeneratedRegex(@"new CheckOutcome\(type,\s*ConditionStatus\.\w+,\s*""(?<reason>[A-Z]\w+)""")]
    private static partial Regex OutcomeReason();

    [GeneratedRegex(@"events\.(?:Normal|Warning)Async\([^,]+,\s*""(?<reason>[A-Z]\w+)""")]
    private static partial Regex EventReason();
}
