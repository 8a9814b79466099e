using System.ComponentModel;
using System.Globalization;

namespace PartialCollector.Core.Durations;

/// <summary>
/// Lets configuration binding read TimeSpan options in Go syntax (<c>5s</c>, <c>1m30s</c>) as well as .NET's.
/// Registered once, process-wide, by <see cref="Register"/>; the binder then names the key when a value fails.
/// </summary>
public sealed class DurationTypeConverter : TimeSpanConverter
{
    private static int registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 0)
        {
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(DurationTypeConverter)));
        }
    }

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        if (value is string text)
        {
            return GoDuration.TryParseLenient(text, out var parsed)
                ? parsed.Value
                : throw new FormatException($"'{text}' is not a duration: use Go syntax (5s, 1m30s, 250ms) or hh:mm:ss.");
        }

        return base.ConvertFrom(context, culture, value);
    }
}
