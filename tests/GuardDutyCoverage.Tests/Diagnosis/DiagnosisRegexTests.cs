using System.Reflection;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Diagnosis;

/// <summary>
/// How the diagnosis matches text from outside: every regex has a time budget, and none uses the non-backtracking
/// engine, whose per-regex BDD caches (about 1 MiB each) were most of the operator's idle heap (issue 11).
/// </summary>
public sealed class DiagnosisRegexTests
{
    public static TheoryData<string> RegexNames()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in AllRegexes())
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void TheDiagnosisHasRegexesToCheck()
    {
        // The catalog's issue rules, its denial patterns, and the admission, node and AWS checks' patterns.
        Assert.True(AllRegexes().Count >= 18, $"found only {AllRegexes().Count}: the reflection below no longer sees them");
    }

    [Theory]
    [MemberData(nameof(RegexNames))]
    public void EveryRegexBacktracksWithinABudget(string name)
    {
        var regex = AllRegexes().Single(r => r.Name == name).Regex;
        Assert.False(regex.Options.HasFlag(RegexOptions.NonBacktracking), $"{name} uses the non-backtracking engine");

        // An anchored pattern (a version, an ARN's region) is tried at one position; the others scan free text from
        // outside at every position, and those need the budget.
        if (!regex.ToString().StartsWith('^'))
        {
            Assert.NotEqual(Regex.InfiniteMatchTimeout, regex.MatchTimeout);
            Assert.True(regex.MatchTimeout <= TimeSpan.FromSeconds(1), $"{name} may match for {regex.MatchTimeout}");
        }
    }

    [Fact]
    public void ARegexThatRunsOutOfTimeIsNoMatch()
    {
        // Nested quantifiers on a near miss: exponential for a backtracking engine, so the 1 ms budget runs out.
        var catastrophic = new Regex("^(a+)+$", RegexOptions.None, TimeSpan.FromMilliseconds(1));
        var text = new string('a', 64) + "!";
        Assert.Throws<RegexMatchTimeoutException>(() => catastrophic.IsMatch(text));
        Assert.False(Catalog.SafeIsMatch(catastrophic, text));
        Assert.Null(Catalog.SafeMatch(catastrophic, text));
        Assert.NotNull(Catalog.SafeMatch(catastrophic, "aaaa"));
    }

    private static List<(string Name, Regex Regex)> AllRegexes()
    {
        var found = new List<(string, Regex)>();
        foreach (var type in typeof(Catalog).Assembly.GetTypes())
        {
            const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var field in type.GetFields(Static).Where(f => f.FieldType == typeof(Regex)))
            {
                if (field.GetValue(null) is Regex regex)
                {
                    found.Add(($"{type.Name}.{field.Name}", regex));
                }
            }

            foreach (var property in type.GetProperties(Static).Where(p => p.PropertyType == typeof(Regex) && p.GetIndexParameters().Length == 0))
            {
                if (property.GetValue(null) is Regex regex)
                {
                    found.Add(($"{type.Name}.{property.Name}", regex));
                }
            }
        }

        found.AddRange(Catalog.IssueTypeRules.Where(r => r.ExtraInformation is not null).Select(r => ($"IssueTypeRules[{r.Reason}]", r.ExtraInformation!)));
        found.AddRange(Catalog.AddonIssueRules.Where(r => r.Message is not null).Select(r => ($"AddonIssueRules[{r.Reason}/{r.Code}]", r.Message!)));
        return found.DistinctBy(f => f.Item1).ToList();
    }
}
