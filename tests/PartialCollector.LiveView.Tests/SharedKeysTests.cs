using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using PartialCollector.LiveView.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.LiveView.Tests;

/// <summary>
/// Two live view replicas on one database share the Data Protection key ring through it, so what one protects (the
/// sign-in cookie, the form tokens) the other reads, and a restart does not sign everyone out.
/// </summary>
public sealed class SharedKeysTests
{
    // The purpose strings of ASP.NET Core's cookie authentication for the live view's scheme, as it protects tickets.
    private static readonly string[] CookiePurposes = ["Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", "Cookies", "v2"];

    [Fact]
    public async Task A_cookie_protected_by_one_replica_is_read_by_another_and_after_a_restart()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("live_keys");
        byte[] ticket = [1, 2, 3, 4, 5];
        byte[] cookie;
        await using (var first = await LiveViewHost.StartAsync(TenantTests.TwoTenants, connectionString))
        {
            cookie = Protector(first).Protect(ticket);
        }

        await using var second = await LiveViewHost.StartAsync(TenantTests.TwoTenants, connectionString);
        await using var third = await LiveViewHost.StartAsync(TenantTests.TwoTenants, connectionString);

        Assert.Equal(ticket, Protector(second).Unprotect(cookie));
        Assert.Equal(ticket, Protector(third).Unprotect(Protector(second).Protect(ticket)));
        Assert.Equal(1, await new PartialTracesTable(connectionString).CountAsync("partial_data_protection_keys"));
    }

    private static IDataProtector Protector(LiveViewHost host) =>
        host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(CookiePurposes);
}
