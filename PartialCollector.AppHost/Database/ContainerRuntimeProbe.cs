using System.Diagnostics;
using System.Net.Sockets;

namespace PartialCollector.AppHost.Database;

/// <summary>
/// Is there a container engine DCP can start containers on? Checked the way a user would: <c>DOCKER_HOST</c>
/// set, the Docker socket accepting a connection, or <c>docker info</c> (or <c>podman info</c> when
/// <c>ASPIRE_CONTAINER_RUNTIME=podman</c>) succeeding within a few seconds. A Docker client with no engine
/// behind it (this repository's build machines) answers "no" at once.
/// </summary>
internal static class ContainerRuntimeProbe
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);

    public static bool IsAvailable(out string evidence)
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } dockerHost)
        {
            evidence = $"DOCKER_HOST={dockerHost}";
            return true;
        }

        foreach (var socket in new[] { "/var/run/docker.sock", "/run/podman/podman.sock" })
        {
            if (CanConnect(socket))
            {
                evidence = $"{socket} accepts connections";
                return true;
            }
        }

        var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } configured ? configured : "docker";
        if (Succeeds(runtime, "info"))
        {
            evidence = $"`{runtime} info` succeeded";
            return true;
        }

        evidence = $"no DOCKER_HOST, no Docker socket, `{runtime} info` failed";
        return false;
    }

    private static bool CanConnect(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool Succeeds(string command, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            // Drain the pipes so a chatty client cannot block on a full buffer.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(CommandTimeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false; // not installed
        }
    }
}
