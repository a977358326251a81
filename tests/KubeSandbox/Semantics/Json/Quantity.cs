using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace KubeSandbox.Semantics;

/// <summary>How a quantity was written, which decides how it is written back (apimachinery's resource.Format).</summary>
public enum QuantityFormat
{
    /// <summary>Ki, Mi, Gi, Ti, Pi, Ei.</summary>
    BinarySI,

    /// <summary>n, u, m, (none), k, M, G, T, P, E.</summary>
    DecimalSI,

    /// <summary>e3, E6, ...</summary>
    DecimalExponent,
}

/// <summary>
/// A Kubernetes resource quantity (k8s.io/apimachinery/pkg/api/resource.Quantity): parsed exactly, rounded up to
/// nano units as Go does, compared and added, and written in Go's canonical form, which is what the API server
/// returns for every quantity it decodes (k8s-golden 98: <c>1000m</c> → <c>1</c>, <c>1024Mi</c> → <c>1Gi</c>).
/// </summary>
public sealed partial record Quantity(BigInteger Unscaled, int Scale, QuantityFormat Format) : IComparable<Quantity>
{
    private const int MinScale = -9;

    private static readonly string[] BinarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    public static Quantity Zero { get; } = new(BigInteger.Zero, 0, QuantityFormat.DecimalSI);

    /// <summary>Parses <c>[+-]digits[.digits][suffix]</c>; false for anything else (what the server refuses with 400/422).</summary>
    public static bool TryParse(string? text, out Quantity quantity)
    {
        quantity = Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var match = Syntax().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var negative = match.Groups["sign"].Value == "-";
        var integer = match.Groups["int"].Value;
        var fraction = match.Groups["frac"].Value;
        var suffix = match.Groups["suffix"].Value;
        if (integer.Length == 0 && fraction.Length == 0)
        {
            return false;
        }

        var digits = BigInteger.Parse("0" + integer + fraction, CultureInfo.InvariantCulture);
        var scale = -fraction.Length;
        QuantityFormat format;
        if (suffix.Length >= 2 && suffix[1] == 'i')
        {
            var power = Array.IndexOf(BinarySuffixes, suffix);
            if (power < 0)
            {
                return false;
            }

            digits *= BigInteger.Pow(1024, power);
            format = QuantityFormat.BinarySI;
        }
        else if (suffix.Length > 0 && (suffix[0] == 'e' || suffix[0] == 'E') && suffix.Length > 1)
        {
            if (!int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent))
            {
                return false;
            }

            scale += exponent;
            format = QuantityFormat.DecimalExponent;
        }
        else
        {
            int? exponent = suffix switch
            {
                "n" => -9,
                "u" => -6,
                "m" => -3,
                "" => 0,
                "k" => 3,
                "M" => 6,
                "G" => 9,
                "T" => 12,
                "P" => 15,
                "E" => 18,
                _ => null,
            };
            if (exponent is null)
            {
                return false;
            }

            scale += exponent.Value;
            format = QuantityFormat.DecimalSI;
        }

        // Go keeps at most nano precision and rounds away from zero.
        if (scale < MinScale)
        {
            var divisor = BigInteger.Pow(10, MinScale - scale);
            var quotient = BigInteger.DivRem(digits, divisor, out var remainder);
            digits = remainder.IsZero ? quotient : quotient + 1;
            scale = MinScale;
        }

        quantity = Normalized(negative ? -digits : digits, scale, format);
        return true;
    }

    public static Quantity Parse(string text) =>
        TryParse(text, out var quantity) ? quantity : throw new FormatException($"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text}");

    /// <summary>The sum, in the format of the left operand (as Quantity.Add does).</summary>
    public Quantity Add(Quantity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var scale = Math.Min(Scale, other.Scale);
        var sum = (Unscaled * BigInteger.Pow(10, Scale - scale)) + (other.Unscaled * BigInteger.Pow(10, other.Scale - scale));
        return Normalized(sum, scale, IsZero ? other.Format : Format);
    }

    public bool IsZero => Unscaled.IsZero;

    public int CompareTo(Quantity? other)
    {
        if (other is null)
        {
            return 1;
        }

        var scale = Math.Min(Scale, other.Scale);
        return (Unscaled * BigInteger.Pow(10, Scale - scale)).CompareTo(other.Unscaled * BigInteger.Pow(10, other.Scale - scale));
    }

    /// <summary>The value in milli-units, rounded up (Quantity.MilliValue).</summary>
    public long MilliValue()
    {
        var shift = Scale + 3;
        if (shift >= 0)
        {
            return (long)(Unscaled * BigInteger.Pow(10, shift));
        }

        var divisor = BigInteger.Pow(10, -shift);
        var quotient = BigInteger.DivRem(Unscaled, divisor, out var remainder);
        return (long)(remainder.Sign > 0 ? quotient + 1 : quotient);
    }

    /// <summary>Go's canonical form (Quantity.String()).</summary>
    public override string ToString()
    {
        if (Unscaled.IsZero)
        {
            return "0";
        }

        var sign = Unscaled.Sign < 0 ? "-" : string.Empty;
        var magnitude = BigInteger.Abs(Unscaled);
        var format = Format;
        if (format == QuantityFormat.BinarySI)
        {
            // Small or fractional binary quantities are written as decimal, to avoid rounding.
            var isInteger = Scale >= 0;
            var value = isInteger ? magnitude * BigInteger.Pow(10, Scale) : BigInteger.Zero;
            if (!isInteger || value < 1024)
            {
                format = QuantityFormat.DecimalSI;
            }
            else
            {
                var power = 0;
                while (power < BinarySuffixes.Length - 1 && value % 1024 == 0)
                {
                    value /= 1024;
                    power++;
                }

                return sign + value.ToString(CultureInfo.InvariantCulture) + BinarySuffixes[power];
            }
        }

        // The largest exponent, a multiple of 3, that keeps the mantissa an integer.
        var exponent = (int)Math.Floor(Scale / 3.0) * 3;
        if (format == QuantityFormat.DecimalSI)
        {
            exponent = Math.Clamp(exponent, MinScale, 18);
        }

        var mantissa = magnitude * BigInteger.Pow(10, Scale - exponent);
        var suffix = format == QuantityFormat.DecimalExponent
            ? (exponent == 0 ? string.Empty : "e" + exponent.ToString(CultureInfo.InvariantCulture))
            : exponent switch
            {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                0 => string.Empty,
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                _ => "E",
            };
        return sign + mantissa.ToString(CultureInfo.InvariantCulture) + suffix;
    }

    /// <summary>The canonical text of <paramref name="text"/>, or the text itself when it is not a quantity.</summary>
    public static string Canonical(string text) => TryParse(text, out var quantity) ? quantity.ToString() : text;

    private static Quantity Normalized(BigInteger unscaled, int scale, QuantityFormat format)
    {
        if (unscaled.IsZero)
        {
            return new Quantity(BigInteger.Zero, 0, format);
        }

        while (unscaled % 10 == 0)
        {
            unscaled /= 10;
            scale++;
        }

        return new Quantity(unscaled, scale, format);
    }

    [GeneratedRegex(@"^(?<sign>[+-]?)(?<int>[0-9]*)(?:\.(?<frac>[0-9]*))?(?<suffix>[eEinumkKMGTP]*[-+]?[0-9]*)$")]
    private static partial Regex Syntax();
}
