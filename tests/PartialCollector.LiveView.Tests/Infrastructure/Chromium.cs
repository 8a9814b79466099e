using Microsoft.Playwright;

namespace PartialCollector.LiveView.Tests.Infrastructure;

/// <summary>
/// The machine's Chromium (Debian: apt-get install chromium; <c>.ci/run</c> installs it), driven by Playwright.
/// Playwright's own browser download is never used: it cannot work offline.
/// </summary>
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var path = Environment.GetEnvironmentVariable("LIVEVIEW_CHROMIUM") is { Length: > 0 } configured ? configured : ExecutablePath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"No Chromium at {path}: the live view's browser tests drive the machine's Chromium. Install it (Debian: apt-get install chromium; .ci/run does) or point LIVEVIEW_CHROMIUM at one.");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }
}
