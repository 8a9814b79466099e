using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PartialCollector.Core.Tenants;
using PartialCollector.LiveView.Components;
using PartialCollector.LiveView.Tenants;

namespace PartialCollector.LiveView.Page;

/// <summary>The page's own endpoints: the fragment it refreshes itself with, and signing in and out.</summary>
public static class PageEndpoints
{
    public static IEndpointRouteBuilder MapPageEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/fragments/live", async (HttpContext context, LivePanelLoader loader, string? service) =>
            {
                var model = await loader.LoadAsync(TenantAccess.TenantOf(context.User), service, context.RequestAborted);
                context.Response.Headers.CacheControl = "no-store";
                return new RazorComponentResult<LivePanel>(new Dictionary<string, object?> { [nameof(LivePanel.Model)] = model });
            })
            .RequireAuthorization(TenantAccess.Policy);

        // Form posts: the antiforgery middleware checks their token. The key travels in the body, never in a URL.
        endpoints.MapPost("/auth/signin", async (HttpContext context, TenantDirectory directory, [FromForm] string? key, [FromForm] string? returnUrl) =>
        {
            var target = LocalPath(returnUrl);
            if (directory.IsOpen)
            {
                return Results.LocalRedirect("/");
            }

            if (string.IsNullOrWhiteSpace(key) || directory.FindByKey(key.Trim()) is not { } tenant)
            {
                return Results.LocalRedirect("/signin?error=1&ReturnUrl=" + Uri.EscapeDataString(target));
            }

            await context.SignInAsync(TenantAccess.CookieScheme, TenantAccess.Principal(tenant, TenantAccess.CookieScheme));
            return Results.LocalRedirect(target);
        });

        endpoints.MapPost("/auth/signout", async (HttpContext context) =>
        {
            await context.SignOutAsync(TenantAccess.CookieScheme);
            return Results.LocalRedirect("/signin");
        });

        return endpoints;
    }

    /// <summary>Only a path of this site: an open redirect would send a signed-in user anywhere.</summary>
    private static string LocalPath(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/";
}
