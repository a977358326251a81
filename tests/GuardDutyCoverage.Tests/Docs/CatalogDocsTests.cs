using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>The generator of the catalog's docs: it rewrites its regions and nothing else, and refuses what it does not know.</summary>
public sealed class CatalogDocsTests
{
    [Fact]
    public void OnlyTheRegionBetweenTheMarkersIsRewritten()
    {
        var page = "# Title\n\nhand-written\n<!-- BEGIN GENERATED condition-table -->\nstale text\n<!-- END GENERATED condition-table -->\nafter\n";
        var written = CatalogDocs.Regenerate(page);

        Assert.StartsWith("# Title\n\nhand-written\n<!-- BEGIN GENERATED condition-table -->\n", written, StringComparison.Ordinal);
        Assert.EndsWith("<!-- END GENERATED condition-table -->\nafter\n", written, StringComparison.Ordinal);
        Assert.DoesNotContain("stale text", written, StringComparison.Ordinal);
        Assert.Contains(CatalogDocs.ConditionTable(), written, StringComparison.Ordinal);
        Assert.Equal(written, CatalogDocs.Regenerate(written));
    }

    [Fact]
    public void APageWithoutMarkersIsLeftAsItIs()
    {
        const string page = "# Title\n\nno generated region here\n";
        Assert.Equal(page, CatalogDocs.Regenerate(page));
    }

    [Fact]
    public void AnUnknownOrUnterminatedRegionIsAnErrorNotAGuess()
    {
        var unknown = Assert.Throws<FormatException>(() => CatalogDocs.Regenerate("<!-- BEGIN GENERATED nonsense -->\n<!-- END GENERATED nonsense -->\n"));
        Assert.Contains("unknown generated region \"nonsense\"", unknown.Message, StringComparison.Ordinal);
        var open = Assert.Throws<FormatException>(() => CatalogDocs.Regenerate("x\n<!-- BEGIN GENERATED reason-codes -->\ntext\n"));
        Assert.Contains("line 2", open.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRowHasItsSectionAndEveryConditionItsRow()
    {
        var sections = CatalogDocs.ReasonCodeSections();
        Assert.All(Catalog.Entries, e => Assert.Contains($"<a id=\"{e.Reason}\"></a>\n\n### {e.Reason}\n\n{e.Summary}", sections, StringComparison.Ordinal));
        var table = CatalogDocs.ConditionTable();
        Assert.All(CheckTypes.All, c => Assert.Contains($"| `{c}` |", table, StringComparison.Ordinal));
        var readme = CatalogDocs.DiagnosisChecksTable();
        Assert.All(CheckTypes.All, c => Assert.Contains($"[`Checks/{c}Check.cs`](Checks/{c}Check.cs)", readme, StringComparison.Ordinal));
    }
}
