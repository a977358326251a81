using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Tests.Docs;

/// <summary>A fenced code block: its info string, its lines (indent of the fence removed) and where it starts.</summary>
internal sealed record CodeBlock(string Language, IReadOnlyList<string> Lines, int Line)
{
    public string Body => string.Join('\n', Lines);
}

/// <summary>A heading with everything up to the next heading of the same or a higher level.</summary>
/// <param name="ExplicitAnchor">The id of an <c>&lt;a id="..."&gt;&lt;/a&gt;</c> line right above the heading.</param>
internal sealed record DocSection(int Level, string Title, string? ExplicitAnchor, int Line, IReadOnlyList<string> Lines, IReadOnlyList<CodeBlock> Blocks);

/// <summary>
/// A page of <c>docs/</c> as the docs tests read it: headings, explicit anchors, fenced blocks, tables and the
/// <c>- **Key:** value</c> lines the troubleshooting page states its facts in. Enough Markdown for our own pages, no more.
/// </summary>
internal sealed partial class DocPage
{
    private DocPage(string name, string text)
    {
        Name = name;
        Lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        Blocks = ReadBlocks(Lines);
    }

    public string Name { get; }

    public IReadOnlyList<string> Lines { get; }

    public IReadOnlyList<CodeBlock> Blocks { get; }

    public static DocPage Load(string name) => new(name, File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", name)));

    public static DocPage Parse(string name, string text) => new(name, text);

    /// <summary>Headings outside code blocks, each with its body (up to the next heading of level &lt;= its own).</summary>
    public IReadOnlyList<DocSection> Sections()
    {
        var headings = new List<(int Index, int Level, string Title)>();
        for (var i = 0; i < Lines.Count; i++)
        {
            if (!InBlock(i) && HeadingLine().Match(Lines[i]) is { Success: true } m)
            {
                headings.Add((i, m.Groups["hashes"].Length, m.Groups["title"].Value.Trim()));
            }
        }

        var sections = new List<DocSection>();
        for (var h = 0; h < headings.Count; h++)
        {
            var (index, level, title) = headings[h];
            var end = headings.Skip(h + 1).FirstOrDefault(n => n.Level <= level).Index;
            end = end == 0 ? Lines.Count : end;
            var above = index - 1;
            while (above >= 0 && Lines[above].Trim().Length == 0)
            {
                above--;
            }

            var anchor = above >= 0 && ExplicitAnchorLine().Match(Lines[above]) is { Success: true } a ? a.Groups["id"].Value : null;
            var lines = Lines.Skip(index + 1).Take(end - index - 1).ToList();
            var blocks = Blocks.Where(b => b.Line - 1 > index && b.Line - 1 < end).ToList();
            sections.Add(new DocSection(level, title, anchor, index + 1, lines, blocks));
        }

        return sections;
    }

    /// <summary>Every anchor a link can point at: explicit ids and GitHub's heading slugs.</summary>
    public ISet<string> Anchors()
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Lines.Count; i++)
        {
            if (InBlock(i))
            {
                continue;
            }

            foreach (Match m in ExplicitAnchorLine().Matches(Lines[i]))
            {
                anchors.Add(m.Groups["id"].Value);
            }

            if (HeadingLine().Match(Lines[i]) is { Success: true } heading)
            {
                anchors.Add(Slug(heading.Groups["title"].Value));
            }
        }

        return anchors;
    }

    /// <summary>GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes.</summary>
    public static string Slug(string heading) =>
        Regex.Replace(heading.Trim().ToLowerInvariant(), "[^a-z0-9 _-]", "").Replace(' ', '-');

    /// <summary>Relative links to Markdown pages: (page, anchor or null).</summary>
    public IEnumerable<(string Page, string? Anchor)> RelativeLinks() =>
        Lines.Where((_, i) => !InBlock(i))
            .SelectMany(l => RelativeLink().Matches(l))
            .Select(m => (m.Groups["page"].Value, m.Groups["anchor"].Success ? m.Groups["anchor"].Value : null));

    /// <summary>Links to anchors of this page.</summary>
    public IEnumerable<string> SamePageLinks() =>
        Lines.Where((_, i) => !InBlock(i)).SelectMany(l => SamePageLink().Matches(l)).Select(m => m.Groups["anchor"].Value);

    /// <summary>The cells of the Markdown table rows in these lines (header and separator rows included).</summary>
    public static IEnumerable<string[]> TableRows(IEnumerable<string> lines) =>
        lines.Where(l => l.TrimStart().StartsWith('|'))
            .Select(l => SplitRow(l.Trim()));

    /// <summary><c>- **Key:** value</c> lines of a section.</summary>
    public static IReadOnlyDictionary<string, string> Facts(IEnumerable<string> lines)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (FactLine().Match(line) is { Success: true } m)
            {
                facts[m.Groups["key"].Value] = m.Groups["value"].Value.Trim();
            }
        }

        return facts;
    }

    /// <summary>The text of the code spans in a piece of Markdown (single or double backticks).</summary>
    public static IReadOnlyList<string> CodeSpans(string markdown) =>
        CodeSpan().Matches(markdown).Select(m => m.Groups["double"].Success ? m.Groups["double"].Value.Trim() : m.Groups["single"].Value).ToList();

    private bool InBlock(int index) => Blocks.Any(b => index >= b.Line - 1 && index <= b.Line + b.Lines.Count);

    private static string[] SplitRow(string row)
    {
        // Split on pipes outside code spans; "\|" is an escaped pipe.
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var inCode = false;
        for (var i = 1; i < row.Length; i++)
        {
            var c = row[i];
            if (c == '\\' && i + 1 < row.Length && row[i + 1] == '|')
            {
                cell.Append('|');
                i++;
            }
            else if (c == '`')
            {
                inCode = !inCode;
                cell.Append(c);
            }
            else if (c == '|' && !inCode)
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        if (cell.ToString().Trim().Length > 0)
        {
            cells.Add(cell.ToString().Trim());
        }

        return [.. cells];
    }

    private static List<CodeBlock> ReadBlocks(IReadOnlyList<string> lines)
    {
        var blocks = new List<CodeBlock>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (FenceOpen().Match(lines[i]) is not { Success: true } open)
            {
                continue;
            }

            var indent = open.Groups["indent"].Value.Length;
            var fence = open.Groups["fence"].Value;
            var body = new List<string>();
            var j = i + 1;
            for (; j < lines.Count && lines[j].Trim() != fence; j++)
            {
                body.Add(lines[j].Length >= indent && lines[j][..indent].Trim().Length == 0 ? lines[j][indent..] : lines[j].TrimStart());
            }

            if (j == lines.Count)
            {
                throw new FormatException($"code block opened at line {i + 1} is never closed");
            }

            blocks.Add(new CodeBlock(open.Groups["lang"].Value, body, i + 1));
            i = j;
        }

        return blocks;
    }

    [GeneratedRegex(@"^(?<hashes>#{1,6})\s+(?<title>.+)$")]
    private static partial Regex HeadingLine();

    [GeneratedRegex("""<a id="(?<id>[^"]+)"></a>""")]
    private static partial Regex ExplicitAnchorLine();

    [GeneratedRegex(@"^(?<indent>[ ]*)(?<fence>```+)(?<lang>[a-z0-9-]*)\s*$")]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"\]\((?<page>[A-Za-z0-9_-]+\.md)(?:#(?<anchor>[A-Za-z0-9_-]+))?\)")]
    private static partial Regex RelativeLink();

    [GeneratedRegex(@"\]\(#(?<anchor>[A-Za-z0-9_-]+)\)")]
    private static partial Regex SamePageLink();

    [GeneratedRegex(@"^\s*- \*\*(?<key>[^*]+):\*\*\s*(?<value>.*)$")]
    private static partial Regex FactLine();

    [GeneratedRegex(@"``(?<double>.+?)``|`(?<single>[^`]+)`")]
    private static partial Regex CodeSpan();
}
