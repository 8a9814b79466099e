using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Npgsql;
using PartialCollector.Core.Tenants;

namespace PartialCollector.LiveView.Tenants;

/// <summary>
/// Who is looking. With tenants configured (<c>PartialExporter:Tenants</c>), the API takes
/// <c>Authorization: Bearer {key}</c> and the page a sign-in cookie holding the tenant's name, and every query is
/// filtered to that tenant. Without tenants the view is open and unfiltered.
/// </summary>
public static class TenantAccess
{
    /// <summary>Forwards to <see cref="BearerScheme"/> when a request carries an Authorization header, else to the cookie.</summary>
    public const string Scheme = "LiveView";
    public const string BearerScheme = "LiveViewBearer";
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string Policy = "Tenant";
    public const string TenantClaim = "partial.tenant";
    public const string CookieName = "partialcollector.liveview";

    public static string? TenantOf(ClaimsPrincipal user) => user.FindFirst(TenantClaim)?.Value;

    public static ClaimsPrincipal Principal(string tenant, string scheme) =>
        new(new ClaimsIdentity([new Claim(TenantClaim, tenant), new Claim(ClaimTypes.Name, tenant)], scheme));

    /// <summary>
    /// Requests without credentials where a person is not expected (the API, the page's fragments) are answered
    /// 401 with a problem; the page itself redirects to the sign-in form.
    /// </summary>
    public static bool IsMachinePath(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/fragments");

    public static IServiceCollection AddTenantAccess(this IServiceCollection services)
    {
        // One key ring for every replica, in the database (see DatabaseKeyRepository); one application name, so
        // replicas installed in different folders still read each other's cookies.
        services.AddDataProtection().SetApplicationName("PartialCollector.LiveView");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(
            keys => keys.XmlRepository = new DatabaseKeyRepository(sp.GetRequiredService<NpgsqlDataSource>())));

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, null, policy => policy.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? BearerScheme : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, TenantBearerHandler>(BearerScheme, null)
            .AddCookie(CookieScheme, cookie =>
            {
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
                cookie.LoginPath = "/signin";
                cookie.Events.OnRedirectToLogin = async context =>
                {
                    if (IsMachinePath(context.Request.Path))
                    {
                        await Problems.WriteUnauthorizedAsync(context.HttpContext, "no credentials: send Authorization: Bearer {key}, or sign in on the page");
                        return;
                    }

                    context.Response.Redirect(context.RedirectUri);
                };

                // A tenant removed from the configuration loses its sessions at once, not when their cookies expire.
                cookie.Events.OnValidatePrincipal = context =>
                {
                    var directory = context.HttpContext.RequestServices.GetRequiredService<TenantDirectory>();
                    if (context.Principal is null || TenantOf(context.Principal) is not { } tenant || !directory.Tenants.ContainsKey(tenant))
                    {
                        context.RejectPrincipal();
                    }

                    return Task.CompletedTask;
                };
            });

        services.AddSingleton<IAuthorizationHandler, TenantRequirementHandler>();
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.AddRequirements(new TenantRequirement()));
        return services;
    }

    /// <summary>Met by anyone while the view is open, else only by a request authenticated as one of the tenants.</summary>
    public sealed class TenantRequirement : IAuthorizationRequirement;

    private sealed class TenantRequirementHandler(TenantDirectory directory) : AuthorizationHandler<TenantRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, TenantRequirement requirement)
        {
            if (directory.IsOpen || (TenantOf(context.User) is { } tenant && directory.Tenants.ContainsKey(tenant)))
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }
}
