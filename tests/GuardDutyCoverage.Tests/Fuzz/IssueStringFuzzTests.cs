using FsCheck;
using FsCheck.Fluent;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Tests.Diagnosis;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Fuzz;

/// <summary>GuardDuty issue strings and EKS add-on issues: the parser never throws, keeps the text verbatim and always names a catalog reason.</summary>
[Trait("Category", "Fuzz")]
public sealed class IssueStringFuzzTests(ITestOutputHelper output)
{
    public const int Inputs = 10_000;

    private static readonly string[] Seeds =
    [
        .. IssueParserTests.IssueTypeTable.Select(row => (string)row[0]),
        .. Catalog.Entries.Select(e => e.GuardDutyIssue).OfType<string>(),
        "",
        ":",
        "Addon Creation Failed: EKS Addon issue - ",
    ];

    private static readonly string[] AddonCodes = [.. Catalog.Entries.SelectMany(e => e.AddonIssueCodes).Distinct(), "", "Unknown"];

    private static Gen<string> Issues() => Gen.Frequency(
        (6, Mutations.Seeded(Seeds).Select(s => Mutations.MutateText(s.Seed, new Random(s.Mutation)))),
        (3, Mutations.AnyString(300)),
        (1, Gen.Choose(1, 200_000).Select(n => new string(':', n / 3) + new string(' ', n / 3) + "Addon Creation Failed:" + new string('`', n / 3))));

    [Fact]
    public async Task IssueStringsNeverBreakTheParser()
    {
        var outcome = await FuzzRunner.RunAsync("issue strings", Issues(), Inputs * FuzzRunner.Scale, issue =>
        {
            var parsed = IssueParser.ParseGuardDutyIssue(issue);
            if (!ReferenceEquals(parsed.Raw, issue) && parsed.Raw != issue)
            {
                return "Raw is not the input verbatim";
            }

            if (!Catalog.Contains(parsed.Reason))
            {
                return $"reason {parsed.Reason} is not a catalog code";
            }

            if (IssueParser.ParseGuardDutyIssue(issue) != parsed)
            {
                return "not deterministic";
            }

            var code = AddonCodes[(int)(FuzzRunner.StableHash(issue) % (ulong)AddonCodes.Length)];
            var addon = IssueParser.ParseAddonIssue(code, issue);
            return Catalog.Contains(addon.Reason) ? null : $"add-on reason {addon.Reason} is not a catalog code";
        }, FuzzRunner.Describe);
        output.WriteLine(outcome.ToString());
        FuzzRunner.AssertClean(outcome, Inputs);
    }
}
