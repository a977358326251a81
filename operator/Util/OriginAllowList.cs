using System.Globalization;

namespace GuardDutyCoverage.Util;

/// <summary>
/// Origins (scheme, host, optional port) an operator administrator allows beyond a built-in default, for example
/// <c>http://127.0.0.1</c> (any port), <c>https://*.corp.example:8443</c>. A leading <c>*.</c> matches one or more
/// DNS labels. An entry never carries a path, query or credentials: it allows a place to talk to, nothing else.
/// Used for AWS endpoint overrides of a GuardDutyCoverage (<c>--allowed-aws-endpoints</c>) and for notification
/// webhooks (<c>--allowed-notification-urls</c>).
/// </summary>
public sealed class OriginAllowList
{
    private readonly IReadOnlyList<Entry> _entries;

    private OriginAllowList(IReadOnlyList<Entry> entries) => _entries = entries;

    public static readonly OriginAllowList Empty = new([]);

    public int Count => _entries.Count;

    /// <summary>The entries as given (normalized), for messages and logs.</summary>
    public IEnumerable<string> Entries => _entries.Select(e => e.Text);

    private sealed record Entry(string Text, string Scheme, string Host, bool Wildcard, int? Port);

    /// <summary>Parses comma-separated entries; <paramref name="what"/> names the flag in errors.</summary>
    public static OriginAllowList Parse(string? text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Empty;
        }

        var entries = new List<Entry>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            entries.Add(ParseEntry(raw, what));
        }

        return new OriginAllowList(entries);
    }

    private static Entry ParseEntry(string raw, string what)
    {
        var separator = raw.IndexOf("://", StringComparison.Ordinal);
        var scheme = separator < 0 ? "" : raw[..separator].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            throw new FormatException($"{what}: \"{raw}\" must start with http:// or https:// (an origin such as https://vpce.corp.example or http://127.0.0.1)");
        }

        var authority = raw[(separator + 3)..];
        if (authority.EndsWith('/'))
        {
            authority = authority[..^1];
        }

        if (authority.Length == 0 || authority.IndexOfAny(['/', '?', '#', '@', ' ']) >= 0)
        {
            throw new FormatException($"{what}: \"{raw}\" must be an origin only (scheme://host[:port]): no path, query, fragment or user info");
        }

        string host;
        int? port = null;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0)
            {
                throw new FormatException($"{what}: \"{raw}\" has an unclosed IPv6 address");
            }

            host = authority[..(close + 1)];
            var rest = authority[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':'))
                {
                    throw new FormatException($"{what}: \"{raw}\" has text after the IPv6 address");
                }

                portText = rest[1..];
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
        }

        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                throw new FormatException($"{what}: \"{raw}\" has an invalid port \"{portText}\"");
            }

            port = p;
        }

        var wildcard = host.StartsWith("*.", StringComparison.Ordinal);
        var name = NormalizeHost(wildcard ? host[2..] : host);
        var check = wildcard ? "x." + name : name;
        if (name.Length == 0 || name.Contains('*', StringComparison.Ordinal) || Uri.CheckHostName(check.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            throw new FormatException($"{what}: \"{raw}\" has an invalid host \"{host}\" (a DNS name, an IP address, or *.domain)");
        }

        return new Entry($"{scheme}://{(wildcard ? "*." : "")}{name}{(port is { } q ? ":" + q.ToString(CultureInfo.InvariantCulture) : "")}", scheme, name, wildcard, port);
    }

    private static string NormalizeHost(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>Whether <paramref name="uri"/> (absolute) is at an allowed origin.</summary>
    public bool Allows(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return false;
        }

        var host = NormalizeHost(uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.IdnHost.Trim('[', ']') + "]" : uri.IdnHost);
        foreach (var entry in _entries)
        {
            if (!string.Equals(entry.Scheme, uri.Scheme, StringComparison.OrdinalIgnoreCase)
                || (entry.Port is { } port && port != uri.Port))
            {
                continue;
            }

            if (entry.Wildcard
                ? host.EndsWith("." + entry.Host, StringComparison.Ordinal) && host.Length > entry.Host.Length + 1
                : string.Equals(host, entry.Host, StringComparison.Ordinal) || SameIPv6(host, entry.Host))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SameIPv6(string host, string entry) =>
        host.StartsWith('[') && entry.StartsWith('[')
        && System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var a)
        && System.Net.IPAddress.TryParse(entry.Trim('[', ']'), out var b)
        && a.Equals(b);

    public override string ToString() => string.Join(",", Entries);
}
