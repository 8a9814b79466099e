using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PartialCollector.Core.Durations;

/// <summary>
/// Parses Go's <c>time.ParseDuration</c> syntax (<c>5000ms</c>, <c>1m30s</c>, <c>1.5h</c>, <c>250us</c>),
/// the form clients send in <c>partial.frequency</c> and the original's configuration uses.
/// </summary>
public static class GoDuration
{
    private const decimal MaxNanos = long.MaxValue * 100m;

    public static bool TryParse(ReadOnlySpan<char> text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text.IsEmpty)
        {
            return false;
        }

        var negative = false;
        if (text[0] is '-' or '+')
        {
            negative = text[0] == '-';
            text = text[1..];
        }

        if (text is "0")
        {
            return true;
        }

        if (text.IsEmpty)
        {
            return false;
        }

        decimal totalNanos = 0;
        while (!text.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < text.Length && (char.IsAsciiDigit(text[numberLength]) || text[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || text[..numberLength] is ".")
            {
                return false;
            }

            if (!decimal.TryParse(text[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            text = text[numberLength..];
            var unitLength = 0;
            while (unitLength < text.Length && !char.IsAsciiDigit(text[unitLength]) && text[unitLength] != '.')
            {
                unitLength++;
            }

            if (!TryUnitNanos(text[..unitLength], out var unitNanos))
            {
                return false;
            }

            text = text[unitLength..];

            // Checked before multiplying: decimal arithmetic throws on overflow, and this is client input.
            if (number > (MaxNanos - totalNanos) / unitNanos)
            {
                return false;
            }

            totalNanos += number * unitNanos;
        }

        var ticks = (long)(totalNanos / 100);
        value = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    /// <summary>Go syntax first, then .NET's invariant TimeSpan syntax (<c>00:00:05</c>).</summary>
    public static bool TryParseLenient(string? text, [NotNullWhen(true)] out TimeSpan? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        if (TryParse(trimmed, out var go) || TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out go))
        {
            value = go;
            return true;
        }

        return false;
    }

    /// <summary>Formats like Go's <c>Duration.String</c> for the common cases (<c>1m30s</c>, <c>250ms</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        if (value < TimeSpan.FromSeconds(1) && value > TimeSpan.FromSeconds(-1))
        {
            return value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var result = value < TimeSpan.Zero ? "-" : "";
        var abs = value.Duration();
        if (abs.TotalHours >= 1)
        {
            result += ((long)abs.TotalHours).ToString(CultureInfo.InvariantCulture) + "h";
        }

        if (abs.TotalMinutes >= 1)
        {
            result += abs.Minutes.ToString(CultureInfo.InvariantCulture) + "m";
        }

        var seconds = abs.Seconds + (abs.Ticks % TimeSpan.TicksPerSecond) / (double)TimeSpan.TicksPerSecond;
        return result + seconds.ToString(CultureInfo.InvariantCulture) + "s";
    }

    private static bool TryUnitNanos(ReadOnlySpan<char> unit, out decimal nanos)
    {
        nanos = unit switch
        {
            "ns" => 1m,
            "us" or "\u00b5s" or "\u03bcs" => 1_000m,
            "ms" => 1_000_000m,
            "s" => 1_000_000_000m,
            "m" => 60_000_000_000m,
            "h" => 3_600_000_000_000m,
            _ => 0m,
        };
        return nanos != 0m;
    }
}
