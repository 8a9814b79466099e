using System.Net;
using PartialCollector.LiveView.Tests.Infrastructure;

namespace PartialCollector.LiveView.Tests;

/// <summary>With <c>PartialExporter:Tenants</c> configured, the API asks for a tenant's key and shows that tenant only its spans.</summary>
public sealed class TenantTests
{
    private const string AcmeKey = "acme-key-0123456789abcdef";
    private const string GlobexKey = "globex-key-0123456789abcdef";

    public static Dictionary<string, string?> TwoTenants => new()
    {
        ["PartialExporter:Tenants:acme:ApiKeys:0"] = AcmeKey,
        ["PartialExporter:Tenants:globex:ApiKeys:0"] = GlobexKey,
    };

    [Fact]
    public async Task Each_tenant_sees_only_its_own_spans_services_and_details()
    {
        await using var host = await LiveViewHost.StartAsync(TwoTenants);
        var acmeRunning = SeededSpan.New("shop", "acme-job", "acme");
        var globexRunning = SeededSpan.New("shop", "globex-job", "globex");
        var acmeCrashed = SeededSpan.New("shop", "acme-crash", "acme");
        var globexCrashed = SeededSpan.New("shop", "globex-crash", "globex");
        var nobodys = SeededSpan.New("shop", "written-while-open");
        await host.Seed.RunningAsync(acmeRunning, TimeSpan.FromMinutes(3));
        await host.Seed.RunningAsync(globexRunning, TimeSpan.FromMinutes(9));
        await host.Seed.RunningAsync(nobodys, TimeSpan.FromMinutes(20));
        await host.Seed.CollectedAsync(acmeCrashed, TimeSpan.FromMinutes(1));
        await host.Seed.CollectedAsync(globexCrashed, TimeSpan.FromMinutes(2));

        using var acme = host.Client(AcmeKey);
        using var globex = host.Client(GlobexKey);

        Assert.Equal([acmeRunning.Key], (await acme.AllPagesAsync("/api/spans", 10)).Select(s => s.Key()));
        Assert.Equal([globexRunning.Key], (await globex.AllPagesAsync("/api/spans?service=shop", 10)).Select(s => s.Key()));
        Assert.Equal([acmeCrashed.Key], (await acme.AllPagesAsync("/api/spans?state=crashed", 10)).Select(s => s.Key()));
        Assert.Equal([globexCrashed.Key], (await globex.AllPagesAsync("/api/spans?state=crashed", 10)).Select(s => s.Key()));

        var acmeServices = (await acme.GetJsonAsync("/api/services")).GetProperty("services");
        Assert.Equal(1, acmeServices.GetArrayLength());
        Assert.Equal(1, acmeServices[0].GetProperty("running").GetInt64());
        Assert.Equal(1, acmeServices[0].GetProperty("crashedLastHour").GetInt64());

        Assert.Equal("acme-job", (await acme.GetJsonAsync($"/api/spans/{acmeRunning.TraceId}/{acmeRunning.SpanId}")).Str("name"));
        await acme.GetProblemAsync($"/api/spans/{globexRunning.TraceId}/{globexRunning.SpanId}", HttpStatusCode.NotFound);
        await acme.GetProblemAsync($"/api/spans/{globexCrashed.TraceId}/{globexCrashed.SpanId}", HttpStatusCode.NotFound);
        await globex.GetProblemAsync($"/api/spans/{nobodys.TraceId}/{nobodys.SpanId}", HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(null, "no credentials")]
    [InlineData("Bearer not-a-key-of-anyone-at-all", "unknown API key")]
    [InlineData("Basic YWNtZTprZXk=", "not 'Bearer {key}'")]
    public async Task The_API_without_a_tenants_key_is_401_with_a_problem(string? authorization, string message)
    {
        await using var host = await LiveViewHost.StartAsync(TwoTenants);
        await host.Seed.RunningAsync(SeededSpan.New("shop", "job", "acme"), TimeSpan.FromMinutes(3));
        using var client = host.Client();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var path in new[] { "/api/spans", "/api/services", "/api/spans?state=crashed" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            using var problem = System.Text.Json.JsonDocument.Parse(body);
            Assert.Contains(message, problem.RootElement.GetProperty("detail").GetString());
            Assert.DoesNotContain("job", body);
        }

        // Health stays open: orchestrators probe it without keys.
        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
