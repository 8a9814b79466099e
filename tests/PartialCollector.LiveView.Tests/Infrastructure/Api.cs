using System.Net;
using System.Text.Json;

namespace PartialCollector.LiveView.Tests.Infrastructure;

/// <summary>Reads the API's answers as JSON documents, so the tests check the wire format, not the server's types.</summary>
public static class Api
{
    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    public static async Task<JsonElement> GetProblemAsync(this HttpClient client, string path, HttpStatusCode expected)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        Assert.Equal((int)expected, document.RootElement.GetProperty("status").GetInt32());
        return document.RootElement.Clone();
    }

    /// <summary>Every span of a listing, page by page, following <c>next</c> until it is null.</summary>
    public static async Task<List<JsonElement>> AllPagesAsync(this HttpClient client, string path, int limit)
    {
        var spans = new List<JsonElement>();
        string? cursor = null;
        for (var page = 0; page < 10_000; page++)
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var answer = await client.GetJsonAsync($"{path}{separator}limit={limit}" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            var items = answer.GetProperty("spans").EnumerateArray().ToList();
            Assert.True(items.Count <= limit, $"a page of {items.Count} spans for limit={limit}");
            spans.AddRange(items);
            cursor = answer.GetProperty("next").GetString();
            if (cursor is null)
            {
                return spans;
            }

            Assert.True(items.Count == limit, $"a page of {items.Count} spans for limit={limit} has a next cursor");
        }

        throw new InvalidOperationException("the cursor never ended");
    }

    public static string Key(this JsonElement span) => $"{span.GetProperty("traceId").GetString()}/{span.GetProperty("spanId").GetString()}";

    public static string? Str(this JsonElement element, string property) => element.GetProperty(property).GetString();
}
