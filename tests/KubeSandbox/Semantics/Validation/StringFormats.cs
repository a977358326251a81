using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Text.RegularExpressions;

namespace KubeSandbox.Semantics;

/// <summary>
/// The string formats custom resource validation checks. kube-apiserver keeps only this list of formats in CRD
/// schemas (everything else, int32 and int64 included, is dropped before validation) and checks them with go-openapi's
/// strfmt on string values only. Names are compared without dashes ("date-time" is "datetime").
/// </summary>
internal static partial class StringFormats
{
    private static readonly FrozenDictionary<string, Func<string, bool>> Validators = new Dictionary<string, Func<string, bool>>(StringComparer.Ordinal)
    {
        ["bsonobjectid"] = s => s.Length == 24 && HexRegex().IsMatch(s),
        ["uri"] = IsRequestUri,
        ["email"] = s => MailAddress.TryCreate(s, out _),
        ["hostname"] = s => s.Length <= 255 && HostnameRegex().IsMatch(s),
        ["ipv4"] = s => s.Contains('.', StringComparison.Ordinal) && IsGoIp(s),
        ["ipv6"] = s => s.Contains(':', StringComparison.Ordinal) && IsGoIp(s),
        ["cidr"] = IsCidr,
        ["mac"] = s => MacRegex().IsMatch(s),
        ["uuid"] = s => UuidRegex().IsMatch(s),
        ["uuid3"] = s => Uuid3Regex().IsMatch(s),
        ["uuid4"] = s => Uuid4Regex().IsMatch(s),
        ["uuid5"] = s => Uuid5Regex().IsMatch(s),
        ["isbn"] = s => IsIsbn10(s) || IsIsbn13(s),
        ["isbn10"] = IsIsbn10,
        ["isbn13"] = IsIsbn13,
        ["creditcard"] = s => CreditCardRegex().IsMatch(new string(s.Where(char.IsAsciiDigit).ToArray())),
        ["ssn"] = s => SsnRegex().IsMatch(s),
        ["hexcolor"] = s => HexColorRegex().IsMatch(s),
        ["rgbcolor"] = s => RgbColorRegex().IsMatch(s),
        ["byte"] = IsBase64,
        ["password"] = _ => true,
        ["date"] = s => DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        ["duration"] = IsDuration,
        ["datetime"] = IsDateTime,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The format name kube-apiserver validates against, or null when it drops the format.</summary>
    public static string? Supported(string? format)
    {
        if (string.IsNullOrEmpty(format))
        {
            return null;
        }

        var normalized = format.Replace("-", "", StringComparison.Ordinal);
        return Validators.ContainsKey(normalized) ? normalized : null;
    }

    public static bool IsValid(string normalizedFormat, string value) => Validators[normalizedFormat](value);

    private static bool IsRequestUri(string s)
    {
        if (s.StartsWith('/'))
        {
            return Uri.TryCreate(s, UriKind.Relative, out _);
        }

        return Uri.TryCreate(s, UriKind.Absolute, out var uri) && s.Contains(':', StringComparison.Ordinal) && uri.Scheme.Length > 0;
    }

    /// <summary>Go's net.ParseIP: dotted IPv4 without leading zeros, or IPv6 (with an embedded IPv4 tail allowed), no zones.</summary>
    private static bool IsGoIp(string s)
    {
        if (s.Contains('%', StringComparison.Ordinal) || s.Contains('[', StringComparison.Ordinal))
        {
            return false;
        }

        if (!s.Contains(':', StringComparison.Ordinal))
        {
            var parts = s.Split('.');
            return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0') && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
        }

        return IPAddress.TryParse(s, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
    }

    private static bool IsCidr(string s)
    {
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }

        var ip = s[..slash];
        var bits = s[(slash + 1)..];
        if (!IsGoIp(ip) || bits.Length == 0 || bits.Length > 3 || !bits.All(char.IsAsciiDigit) || (bits.Length > 1 && bits[0] == '0'))
        {
            return false;
        }

        var max = ip.Contains(':', StringComparison.Ordinal) ? 128 : 32;
        return int.Parse(bits, CultureInfo.InvariantCulture) <= max;
    }

    private static bool IsIsbn10(string s)
    {
        var digits = s.Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (!Isbn10Regex().IsMatch(digits))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (i + 1) * (digits[i] - '0');
        }

        sum += digits[9] == 'X' ? 100 : 10 * (digits[9] - '0');
        return sum % 11 == 0;
    }

    private static bool IsIsbn13(string s)
    {
        var digits = s.Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (digits.Length != 13 || !digits.All(char.IsAsciiDigit))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 12; i++)
        {
            sum += (digits[i] - '0') * (i % 2 == 0 ? 1 : 3);
        }

        return (10 - (sum % 10)) % 10 == digits[12] - '0';
    }

    private static bool IsBase64(string s)
    {
        var buffer = new byte[((s.Length + 3) / 4) * 3];
        return Convert.TryFromBase64String(s, buffer, out _) && !s.Any(char.IsWhiteSpace);
    }

    /// <summary>strfmt's duration: Go's time.ParseDuration syntax, or a number and a unit word ("3 days", "1w").</summary>
    private static bool IsDuration(string s) => GoDurationRegex().IsMatch(s) || UnitDurationRegex().IsMatch(s);

    /// <summary>strfmt's date-time: a full date, 'T' (any case), hh:mm:ss, optional fraction, and Z or an offset.</summary>
    private static bool IsDateTime(string s)
    {
        if (s.Length < 4)
        {
            return false;
        }

        var parts = s.ToLowerInvariant().Split('t');
        if (parts.Length < 2 || !DateTime.TryParseExact(parts[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return false;
        }

        var match = TimeRegex().Match(parts[1]);
        return match.Success &&
            string.CompareOrdinal(match.Groups[1].Value, "23") <= 0 &&
            string.CompareOrdinal(match.Groups[2].Value, "59") <= 0 &&
            string.CompareOrdinal(match.Groups[3].Value, "59") <= 0;
    }

    [GeneratedRegex("^[0-9a-fA-F]*$")]
    private static partial Regex HexRegex();

    [GeneratedRegex(@"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$")]
    private static partial Regex HostnameRegex();

    [GeneratedRegex("^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}[:-]){7}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}[:-]){19}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{4}\\.){2}[0-9A-Fa-f]{4}$|^([0-9A-Fa-f]{4}\\.){3}[0-9A-Fa-f]{4}$|^([0-9A-Fa-f]{4}\\.){9}[0-9A-Fa-f]{4}$")]
    private static partial Regex MacRegex();

    [GeneratedRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex UuidRegex();

    [GeneratedRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid3Regex();

    [GeneratedRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid4Regex();

    [GeneratedRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid5Regex();

    [GeneratedRegex("^[0-9]{9}[0-9X]$")]
    private static partial Regex Isbn10Regex();

    [GeneratedRegex("^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35[0-9]{3})[0-9]{11})$")]
    private static partial Regex CreditCardRegex();

    [GeneratedRegex("^[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}$")]
    private static partial Regex SsnRegex();

    [GeneratedRegex("^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    private static partial Regex HexColorRegex();

    [GeneratedRegex(@"^rgb\(\s*(0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\s*,\s*(0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\s*,\s*(0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\s*\)$")]
    private static partial Regex RgbColorRegex();

    [GeneratedRegex(@"^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$")]
    private static partial Regex GoDurationRegex();

    [GeneratedRegex(@"^([0-9]+)\s*(ns|us|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)$", RegexOptions.IgnoreCase)]
    private static partial Regex UnitDurationRegex();

    [GeneratedRegex(@"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")]
    private static partial Regex TimeRegex();
}
