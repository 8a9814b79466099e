namespace PartialCollector.Receiver.Delivery;

/// <summary>Parses OTLP exporter headers, <c>key=value,key2=value2</c> with URL-encoded values (the OTel SDK's format).</summary>
public static class OtlpHeaders
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string? headers)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrWhiteSpace(headers))
        {
            return result;
        }

        foreach (var pair in headers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = pair.IndexOf('=');
            if (separator <= 0)
            {
                throw new FormatException($"'{pair}' is not key=value");
            }

            var key = Uri.UnescapeDataString(pair[..separator].Trim());
            var value = Uri.UnescapeDataString(pair[(separator + 1)..].Trim());
            result.Add(new(key, value));
        }

        return result;
    }
}
