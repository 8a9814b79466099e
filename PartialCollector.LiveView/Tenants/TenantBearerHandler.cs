using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Tenants;

namespace PartialCollector.LiveView.Tenants;

/// <summary><c>Authorization: Bearer {key}</c>, a key of one of <c>PartialExporter:Tenants</c>, as the Exporter takes it.</summary>
public sealed class TenantBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TenantDirectory directory) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string BearerPrefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("the Authorization header is not 'Bearer {key}'"));
        }

        // The key itself is never logged or echoed.
        return Task.FromResult(directory.FindByKey(authorization[BearerPrefix.Length..].Trim()) is { } tenant
            ? AuthenticateResult.Success(new AuthenticationTicket(TenantAccess.Principal(tenant, Scheme.Name), Scheme.Name))
            : AuthenticateResult.Fail("unknown API key"));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceAsync();
        await Problems.WriteUnauthorizedAsync(Context, result.Failure?.Message ?? "no credentials: send Authorization: Bearer {key}");
    }
}
