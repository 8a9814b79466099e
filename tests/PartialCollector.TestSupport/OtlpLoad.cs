using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.Core.Model;

namespace PartialCollector.TestSupport;

public enum OtlpTransport
{
    Grpc,
    Http,
}

/// <summary>How a request ended, as the client saw it.</summary>
public enum AnswerKind
{
    /// <summary>200 / OK: the Exporter says the heartbeat is committed.</summary>
    Acknowledged,

    /// <summary>503 / UNAVAILABLE sent by the Exporter: nothing acknowledged, retry.</summary>
    Unavailable,

    /// <summary>No answer from the server: connection refused, reset or closed (the gRPC client's own error).</summary>
    ConnectionFailed,

    /// <summary>Anything else (500, UNKNOWN, INTERNAL from the server, no answer within the deadline): never right.</summary>
    Other,
}

/// <summary>One request of the load: its span, when it was sent and answered, and the answer.</summary>
public sealed record LoadAnswer(int Client, OtlpTransport Transport, SpanKey Key, DateTime Sent, DateTime Answered, AnswerKind Kind, string Detail);

/// <summary>
/// Concurrent OTLP clients, half gRPC (the generated LogsService client) and half OTLP/HTTP protobuf, each sending
/// one heartbeat of a new span per request, one request after the other, until stopped; every answer is recorded.
/// </summary>
public sealed class OtlpLoad : IAsyncDisposable
{
    /// <summary>A request with no answer after this is recorded as <see cref="AnswerKind.Other"/>.</summary>
    public static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(30);

    // After a failure a client waits this long before its next request, so clients facing a refused port or an
    // outage don't spin on the machine's two cores (pacing, not synchronisation).
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromMilliseconds(20);

    private readonly ConcurrentQueue<LoadAnswer> answers = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task[] clients;
    private int inFlight;

    private OtlpLoad(Uri grpcEndpoint, Uri httpEndpoint, int clientCount) =>
        clients = Enumerable.Range(0, clientCount)
            .Select(i => Task.Run(() => i % 2 == 0 ? RunGrpcClientAsync(i, grpcEndpoint) : RunHttpClientAsync(i, httpEndpoint)))
            .ToArray();

    /// <summary>Requests sent and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>The answers so far.</summary>
    public IReadOnlyList<LoadAnswer> Answers => answers.ToArray();

    public static OtlpLoad Start(Uri grpcEndpoint, Uri httpEndpoint, int clients) => new(grpcEndpoint, httpEndpoint, clients);

    public int Count(AnswerKind kind) => answers.Count(a => a.Kind == kind);

    /// <summary>Sends no new requests, waits for the ones in flight, and returns every answer.</summary>
    public async Task<IReadOnlyList<LoadAnswer>> StopAsync()
    {
        await stopping.CancelAsync();
        await Task.WhenAll(clients);
        return Answers;
    }

    /// <summary>Counts per transport and kind, and the first few answers that are not acknowledgements, for messages.</summary>
    public static string Summary(IEnumerable<LoadAnswer> answers)
    {
        var list = answers.ToList();
        var text = new StringBuilder($"{list.Count} answers:");
        foreach (var group in list.GroupBy(a => (a.Transport, a.Kind)).OrderBy(g => g.Key))
        {
            text.Append(' ').Append(group.Key.Transport).Append('/').Append(group.Key.Kind).Append('=').Append(group.Count());
        }

        foreach (var detail in list.Where(a => a.Kind != AnswerKind.Acknowledged).GroupBy(a => (a.Kind, a.Detail)).Take(6))
        {
            text.Append("\n  ").Append(detail.Key.Kind).Append(" x").Append(detail.Count()).Append(": ").Append(detail.Key.Detail);
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (!stopping.IsCancellationRequested)
        {
            await StopAsync();
        }

        stopping.Dispose();
    }

    private async Task RunGrpcClientAsync(int client, Uri endpoint)
    {
        using var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) },
        });
        var logs = new LogsService.LogsServiceClient(channel);
        await RunAsync(client, OtlpTransport.Grpc, async request =>
        {
            try
            {
                await logs.ExportAsync(request, deadline: DateTime.UtcNow + RequestDeadline);
                return (AnswerKind.Acknowledged, "OK");
            }
            catch (RpcException e) when (e.Status.DebugException is null)
            {
                // Trailers the server sent.
                return (e.StatusCode == StatusCode.Unavailable ? AnswerKind.Unavailable : AnswerKind.Other, $"{e.StatusCode}: {e.Status.Detail}");
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.DeadlineExceeded)
            {
                // The client's own status for a transport failure: the server never answered.
                return (AnswerKind.ConnectionFailed, $"{e.StatusCode}: {e.Status.DebugException!.GetType().Name}: {e.Status.DebugException.Message}");
            }
            catch (RpcException e)
            {
                return (AnswerKind.Other, $"{e.StatusCode}: no answer within {RequestDeadline.TotalSeconds} s");
            }
        });
    }

    private async Task RunHttpClientAsync(int client, Uri endpoint)
    {
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = endpoint,
            Timeout = RequestDeadline,
        };
        await RunAsync(client, OtlpTransport.Http, async request =>
        {
            var content = new ByteArrayContent(request.ToByteArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            try
            {
                using var response = await http.PostAsync("/v1/logs", content);
                return response.StatusCode switch
                {
                    HttpStatusCode.OK => (AnswerKind.Acknowledged, "200"),
                    HttpStatusCode.ServiceUnavailable => (AnswerKind.Unavailable, $"503: {await ErrorMessageAsync(response)}"),
                    _ => (AnswerKind.Other, $"{(int)response.StatusCode}: {await ErrorMessageAsync(response)}"),
                };
            }
            catch (HttpRequestException e)
            {
                return (AnswerKind.ConnectionFailed, $"{e.HttpRequestError}: {e.Message}");
            }
            catch (TaskCanceledException)
            {
                return (AnswerKind.Other, $"no answer within {RequestDeadline.TotalSeconds} s");
            }
        });
    }

    private async Task RunAsync(int client, OtlpTransport transport, Func<ExportLogsServiceRequest, Task<(AnswerKind Kind, string Detail)>> send)
    {
        while (!stopping.IsCancellationRequested)
        {
            var key = Spans.NewKey();
            var request = PartialLogs.Request(PartialLogs.Heartbeat(PartialLogs.Traces(key, $"load-{client}")));
            var sent = DateTime.UtcNow;
            Interlocked.Increment(ref inFlight);
            (AnswerKind Kind, string Detail) answer;
            try
            {
                answer = await send(request);
            }
            catch (Exception e)
            {
                answer = (AnswerKind.Other, $"client exception {e.GetType().Name}: {e.Message}");
            }

            // Recorded before it leaves the in-flight count, so a poll that sees it answered also sees its answer.
            answers.Enqueue(new LoadAnswer(client, transport, key, sent, DateTime.UtcNow, answer.Kind, answer.Detail));
            Interlocked.Decrement(ref inFlight);
            if (answer.Kind != AnswerKind.Acknowledged)
            {
                await Task.Delay(PauseAfterFailure, CancellationToken.None);
            }
        }
    }

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        try
        {
            return PartialCollector.Core.Otlp.Rpc.Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync()).Message;
        }
        catch (InvalidProtocolBufferException)
        {
            return "(body is not a google.rpc.Status)";
        }
    }
}
