using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Tests.Deploy;

public static partial class AdmissionPolicy
{
    /// <summary>
    /// The user the remediation policy applies to: its match condition is
    /// <c>request.userInfo.username == "a" + "b" + ...</c>; the string literals are concatenated.
    /// </summary>
    public static string ServiceAccountUser(JsonNode policy)
    {
        var condition = policy["spec"]!["matchConditions"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "operator-service-account")!;
        var expression = condition["expression"]!.GetValue<string>().Trim();
        var match = UserComparison().Match(expression);
        Assert.True(match.Success, $"unexpected match condition: {expression}");
        return string.Concat(match.Groups["part"].Captures.Select(c => c.Value));
    }

    [GeneratedRegex("""^request\.userInfo\.username == "(?<part>[^"]*)"(?:\s*\+\s*"(?<part>[^"]*)")*$""")]
    private static partial Regex UserComparison();
}
