using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Tenants;
using PartialCollector.Exporter.Otlp;
using PartialCollector.Exporter.Telemetry;

namespace PartialCollector.Exporter.Tenants;

/// <summary>
/// Finds the tenant of a request: a bearer key (<c>Authorization: Bearer {key}</c>, which gRPC carries as the
/// <c>authorization</c> metadata) or, over mTLS, the client certificate's thumbprint. Refusals are answered the
/// way each protocol's clients expect: HTTP 401 with a <c>google.rpc.Status</c>, gRPC UNAUTHENTICATED.
/// </summary>
public sealed class TenantAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TenantDirectory directory,
    ExporterMetrics metrics) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Tenant";
    public const string TenantClaim = "partial.tenant";
    private const string BearerPrefix = "Bearer ";

    public static string? TenantOf(ClaimsPrincipal user) => user.FindFirst(TenantClaim)?.Value;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            if (!authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return Task.FromResult(AuthenticateResult.Fail("the Authorization header is not 'Bearer {key}'"));
            }

            // The key itself is never logged or echoed.
            return Task.FromResult(directory.FindByKey(authorization[BearerPrefix.Length..].Trim()) is { } tenant
                ? Success(tenant)
                : AuthenticateResult.Fail("unknown API key"));
        }

        if (Context.Connection.ClientCertificate is { } certificate)
        {
            // Kestrel takes any certificate (the pinned thumbprint is the identity, no chain to a CA is asked for),
            // so its validity period is checked here: an expired certificate is no credential, pinned or not.
            var now = TimeProvider.GetUtcNow().UtcDateTime;
            if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
            {
                return Task.FromResult(AuthenticateResult.Fail(
                    $"the client certificate is not valid now (valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})"));
            }

            return Task.FromResult(directory.FindByThumbprint(certificate.Thumbprint) is { } tenant
                ? Success(tenant)
                : AuthenticateResult.Fail("the client certificate belongs to no tenant"));
        }

        return Task.FromResult(AuthenticateResult.NoResult());
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceAsync();
        var reason = result.Failure is null ? "missing_credentials" : "invalid_credentials";
        metrics.Unauthenticated(reason);
        var message = result.Failure?.Message ?? "no credentials: send Authorization: Bearer {key} (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20{key})";
        if (Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            // A trailers-only gRPC answer: HTTP 200 with the status in the headers, as gRPC servers send it.
            Response.StatusCode = StatusCodes.Status200OK;
            Response.ContentType = "application/grpc";
            Response.Headers["grpc-status"] = "16";
            Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return;
        }

        Response.Headers.WWWAuthenticate = "Bearer";
        await OtlpHttpStatus.WriteAsync(Context, StatusCodes.Status401Unauthorized, message, OtlpHttpStatus.IsJson(Request.ContentType));
    }

    private AuthenticateResult Success(string tenant)
    {
        var identity = new ClaimsIdentity([new Claim(TenantClaim, tenant)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
