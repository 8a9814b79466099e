using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Durations;

namespace PartialCollector.TestSupport;

/// <summary>
/// The defaults live in the options classes; the README's configuration tables restate them for readers. This checks
/// the restatement: each README row <c>| `Section:Key` | `value` | ... |</c> of a section whose default is one plain
/// value is bound onto a new options object, as configuration would be; if the object then differs from a new one, the
/// README's default is not the class's. Rows whose default is prose, unset, or another variable's name are skipped.
/// </summary>
public static partial class DocumentedDefaults
{
    /// <summary>The README keys of <paramref name="section"/> that were checked, and those whose documented default is wrong.</summary>
    public static (IReadOnlyList<string> Checked, IReadOnlyList<string> Wrong) Check<TOptions>(string section)
        where TOptions : class, new()
    {
        DurationTypeConverter.Register();
        var defaults = JsonSerializer.Serialize(new TOptions());
        var checkedKeys = new List<string>();
        var wrong = new List<string>();
        foreach (Match row in Row().Matches(File.ReadAllText(Path.Combine(Repository.Root, "README.md"))))
        {
            var (key, value) = (row.Groups["key"].Value, row.Groups["value"].Value);
            if (!key.StartsWith(section + ":", StringComparison.Ordinal) || Variable().IsMatch(value))
            {
                continue;
            }

            var options = new TOptions();
            new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build().GetSection(section).Bind(options);
            checkedKeys.Add(key);
            if (JsonSerializer.Serialize(options) != defaults)
            {
                wrong.Add($"{key}: the README says `{value}`, {typeof(TOptions).Name} says otherwise");
            }
        }

        return (checkedKeys.Distinct().ToList(), wrong);
    }

    [GeneratedRegex(@"^\| `(?<key>[A-Za-z]+(:[A-Za-z]+)+)` \| `(?<value>[^`|]+)` \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    /// <summary>An environment variable the option falls back to (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), not a value.</summary>
    [GeneratedRegex("^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")]
    private static partial Regex Variable();
}
