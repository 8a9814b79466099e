using System.Diagnostics;
using System.Text.Json;
using PartialCollector.Core.Storage;
using Xunit.Abstractions;

namespace PartialCollector.AppHost.Tests;

/// <summary>
/// The deployment path as the README gives it: `dotnet run --project PartialCollector.AppHost -- --publisher
/// manifest --output-path ...` writes a manifest naming every deployable resource with its environment and
/// bindings (publish mode always describes PostgreSQL as a container, whatever this machine has).
/// </summary>
public sealed class ManifestTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_manifest_names_every_resource_and_wires_the_partials_connection()
    {
        var folder = Path.Combine(Path.GetTempPath(), "partialcollector-manifest-" + Guid.NewGuid().ToString("N")[..12]);
        var manifestPath = Path.Combine(folder, "manifest.json");
        try
        {
            await RunAppHostAsync(["--publisher", "manifest", "--output-path", manifestPath]);

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath));
            var resources = manifest.RootElement.GetProperty("resources");
            string TypeOf(string name) =>
                resources.TryGetProperty(name, out var r) ? r.GetProperty("type").GetString()! : $"(no resource '{name}')";

            Assert.Equal("container.v0", TypeOf("postgres"));
            Assert.Equal("value.v0", TypeOf(PartialsConnection.Name));
            Assert.StartsWith("project.", TypeOf("migrator"));
            Assert.StartsWith("project.", TypeOf("exporter"));
            Assert.StartsWith("project.", TypeOf("receiver"));
            Assert.StartsWith("project.", TypeOf("liveview"));
            Assert.False(resources.TryGetProperty("demo", out _), "the demo workload is run-mode only");

            // So is its tenant: a deployment's tenants are its operator's, none comes with a key nobody holds.
            Assert.False(resources.TryGetProperty("demo-tenant-key", out _), "the demo tenant's key is run-mode only");
            Assert.DoesNotContain(
                resources.GetProperty("exporter").GetProperty("env").EnumerateObject(),
                variable => variable.Name.StartsWith("PartialExporter__Tenants__", StringComparison.Ordinal));

            Assert.Contains("{postgres.connectionString}", resources.GetProperty(PartialsConnection.Name).GetProperty("connectionString").GetString());
            Assert.Contains("postgres", resources.GetProperty("postgres").GetProperty("image").GetString());
            Assert.NotEmpty(resources.GetProperty("postgres").GetProperty("volumes").EnumerateArray());
            foreach (var service in new[] { "migrator", "exporter", "receiver", "liveview" })
            {
                Assert.Equal(
                    "{partials.connectionString}",
                    resources.GetProperty(service).GetProperty("env").GetProperty(PartialsConnection.EnvironmentVariable).GetString());
            }

            var exporterBindings = resources.GetProperty("exporter").GetProperty("bindings");
            Assert.Equal(4317, BindingPort(exporterBindings, "OtlpGrpc"));
            Assert.Equal(4318, BindingPort(exporterBindings, "OtlpHttp"));
            Assert.True(resources.GetProperty("receiver").TryGetProperty("bindings", out _), "receiver has its health endpoint bound");
            Assert.Equal(8082, BindingPort(resources.GetProperty("liveview").GetProperty("bindings"), "Http"));
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    private static int BindingPort(JsonElement bindings, string name)
    {
        foreach (var binding in bindings.EnumerateObject())
        {
            if (string.Equals(binding.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return binding.Value.TryGetProperty("targetPort", out var target) ? target.GetInt32() : binding.Value.GetProperty("port").GetInt32();
            }
        }

        throw new Xunit.Sdk.XunitException($"no binding {name} in {bindings}");
    }

    private async Task RunAppHostAsync(string[] appHostArguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        foreach (var argument in (string[])["run", "--no-build", "-c", RepositoryPaths.Configuration, "--project", RepositoryPaths.AppHostProject, "--", .. appHostArguments])
        {
            start.ArgumentList.Add(argument);
        }

        // What the manifest says must not depend on an existing server this machine happens to point at.
        start.Environment.Remove(PartialsConnection.EnvironmentVariable);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        output.WriteLine(await stdout);
        output.WriteLine(await stderr);
        Assert.True(process.ExitCode == 0, $"the AppHost exited {process.ExitCode}: {await stderr}");
    }
}
