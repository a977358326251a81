using System.Text.Json.Nodes;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>Go's formatting verbs and RE2 syntax as the messages and patterns need them.</summary>
public sealed class GoCompatibilityTests
{
    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(1.5, "1.5")]
    [InlineData(100000.0, "100000")]
    [InlineData(1000000.0, "1e+06")]
    [InlineData(1234567.0, "1.234567e+06")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e21, "1e+21")]
    [InlineData(123456.789, "123456.789")]
    public void FloatsPrintLikePercentV(double value, string expected) => Assert.Equal(expected, GoFormat.Float(value));

    [Theory]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(0.5, "0.5")]
    public void FloatsSerializeLikeEncodingJson(double value, string expected) => Assert.Equal(expected, GoFormat.JsonFloat(value));

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("quote\" and \\", "\"quote\\\" and \\\\\"")]
    [InlineData("tab\tnew\nline", "\"tab\\tnew\\nline\"")]
    [InlineData("\u0001", "\"\\x01\"")]
    [InlineData("é日本🙂", "\"é日本🙂\"")]
    [InlineData("\u00a0", "\"\\u00a0\"")]
    public void StringsQuoteLikePercentQ(string value, string expected) => Assert.Equal(expected, GoFormat.Quote(value));

    [Fact]
    public void CompoundBadValuesUseGoSyntax()
    {
        Assert.Equal("map[string]interface {}{\"a\":1, \"b\":[]interface {}{\"x\", true, interface {}(nil)}}",
            GoFormat.BadValue(JsonNode.Parse("""{"b":["x",true,null],"a":1}""")));
        Assert.Equal("map[a:1 b:[x true <nil>]]", GoFormat.Value(JsonNode.Parse("""{"b":["x",true,null],"a":1}""")));
        Assert.Equal("null", GoFormat.BadValue(null));
    }

    [Theory]
    [InlineData(@"^a$", "a", true)]
    [InlineData(@"^a$", "a\n", false)]
    [InlineData(@"(?m)^a$", "a\nb", true)]
    [InlineData(@"(?m:^a$)\n", "a\n", true)]
    [InlineData(@"^\d+$", "123", true)]
    [InlineData(@"^\d+$", "١٢٣", false)]
    [InlineData(@"^[\d-]+$", "1-2", true)]
    [InlineData(@"^\w+$", "abc_1", true)]
    [InlineData(@"^\s$", "\u00a0", false)]
    [InlineData(@"^[[:upper:]][[:digit:]]$", "A1", true)]
    [InlineData(@"^[^[:space:]]+$", "a b", false)]
    [InlineData(@"^\pL+$", "héllo", true)]
    [InlineData(@"^\PL+$", "123", true)]
    [InlineData(@"^\x{1F642}$", "🙂", true)]
    [InlineData(@"^\101$", "A", true)]
    [InlineData(@"^\Q[a]\E$", "[a]", true)]
    [InlineData(@"^(?U)a+$", "aaa", true)]
    [InlineData(@"^(?P<n>x)y$", "xy", true)]
    [InlineData(@"^[]a]+$", "]a", true)]
    [InlineData(@"^[[a]+$", "a[[", true)]
    [InlineData(@"^[a-z-[]+$", "a-[", true)]
    public void Re2SemanticsOnDotNet(string pattern, string input, bool matches) =>
        Assert.Equal(matches, Re2Pattern.Compile(pattern).IsMatch(input));

    [Theory]
    [InlineData(@"(a)\1")]
    [InlineData(@"a(?=b)")]
    [InlineData(@"a(?<=b)")]
    [InlineData(@"[[:bogus:]]")]
    [InlineData(@"(unclosed")]
    [InlineData(@"[a-[b]")]
    [InlineData(@"\C")]
    public void PerlOnlyOrInvalidSyntaxIsRejected(string pattern) =>
        Assert.Throws<ArgumentException>(() => Re2Pattern.Compile(pattern));

    [Fact]
    public void CatastrophicBacktrackingPatternsRunInLinearTime()
    {
        // (a+)+$ against "aaaa...!" takes exponential time on a backtracking engine; RE2 and the non-backtracking
        // engine answer immediately, so the validator can take patterns from any CRD.
        var regex = Re2Pattern.Compile("^(a+)+$");

        Assert.DoesNotMatch(regex, new string('a', 5000) + "!");
    }
}
