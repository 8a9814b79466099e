using System.Security.Cryptography;
using Google.Protobuf;
using Npgsql;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace PartialCollector.LiveView.Tests.Infrastructure;

/// <summary>A span as the tests seed it; ids lowercase hex, as the Exporter stores them.</summary>
public sealed record SeededSpan(string TraceId, string SpanId, string Service, string Name, string? Tenant = null)
{
    public static SeededSpan New(string service, string name, string? tenant = null) =>
        new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), service, name, tenant);

    public string Key => $"{TraceId}/{SpanId}";
}

/// <summary>
/// Rows written by SQL the way the Exporter writes heartbeats and stops (<c>partial_traces</c>) and the Receiver
/// records what it collected (<c>partial_collected</c>, reason 'no stop before expiry', last_heartbeat = the row's
/// "timestamp"). Times are relative to the database's now().
/// </summary>
public sealed class Seed(string connectionString)
{
    public const string CollectedReason = "no stop before expiry";

    public static byte[] TracesData(SeededSpan span, DateTime? start = null) => new TracesData
    {
        ResourceSpans =
        {
            new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = span.Service } } } },
                ScopeSpans =
                {
                    new ScopeSpans
                    {
                        Spans =
                        {
                            new Span
                            {
                                TraceId = ByteString.CopyFrom(Convert.FromHexString(span.TraceId)),
                                SpanId = ByteString.CopyFrom(Convert.FromHexString(span.SpanId)),
                                Name = span.Name,
                                Kind = Span.Types.SpanKind.Internal,
                                StartTimeUnixNano = start is { } s ? (ulong)(s - DateTime.UnixEpoch).Ticks * 100 : 0,
                            },
                        },
                    },
                },
            },
        },
    }.ToByteArray();

    /// <summary>A running span: started <paramref name="startedAgo"/> ago (null: no start time), last heartbeat <paramref name="heartbeatAgo"/> ago.</summary>
    public async Task RunningAsync(SeededSpan span, TimeSpan? startedAgo, TimeSpan? heartbeatAgo = null, TimeSpan? frequency = null, DateTime? startTime = null)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO partial_traces (trace_id, span_id, trace, "timestamp", expires_at, tenant, service_name, span_name, start_time, frequency)
            VALUES (@trace_id, @span_id, @trace, now() - @heartbeat_ago, now() - @heartbeat_ago + 3 * coalesce(@frequency, interval '5 seconds'),
                    @tenant, @service, @name, coalesce(@start_time, now() - @started_ago), @frequency)
            """,
            connection);
        command.Parameters.AddWithValue("trace_id", span.TraceId);
        command.Parameters.AddWithValue("span_id", span.SpanId);
        command.Parameters.AddWithValue("trace", TracesData(span));
        command.Parameters.AddWithValue("heartbeat_ago", heartbeatAgo ?? TimeSpan.Zero);
        command.Parameters.Add(new NpgsqlParameter("frequency", NpgsqlTypes.NpgsqlDbType.Interval) { Value = (object?)(frequency ?? TimeSpan.FromSeconds(5)) ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("tenant", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)span.Tenant ?? DBNull.Value });
        command.Parameters.AddWithValue("service", span.Service);
        command.Parameters.AddWithValue("name", span.Name);
        command.Parameters.Add(new NpgsqlParameter("start_time", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)startTime ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("started_ago", NpgsqlTypes.NpgsqlDbType.Interval) { Value = (object?)startedAgo ?? DBNull.Value });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A running span whose heartbeat interval is unknown (a row the original implementation wrote).</summary>
    public async Task RunningWithoutFrequencyAsync(SeededSpan span, TimeSpan startedAgo, TimeSpan heartbeatAgo) =>
        await ExecuteAsync(
            """
            INSERT INTO partial_traces (trace_id, span_id, trace, "timestamp", expires_at, service_name, span_name, start_time)
            VALUES (@trace_id, @span_id, '\x', now() - @heartbeat_ago, now() + interval '1 hour', @service, @name, now() - @started_ago)
            """,
            ("trace_id", span.TraceId), ("span_id", span.SpanId), ("heartbeat_ago", heartbeatAgo), ("service", span.Service), ("name", span.Name), ("started_ago", startedAgo));

    /// <summary>A stopped span, as the Exporter keeps it: a tombstone row (stopped_until set, expires_at 'infinity').</summary>
    public async Task TombstoneAsync(SeededSpan span, TimeSpan startedAgo) =>
        await ExecuteAsync(
            """
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at, stopped_until, tenant, service_name, span_name, start_time, frequency)
            VALUES (@trace_id, @span_id, '\x', 'infinity', now() + interval '5 minutes', @tenant, @service, @name, now() - @started_ago, interval '5 seconds')
            """,
            ("trace_id", span.TraceId), ("span_id", span.SpanId), ("tenant", (object?)span.Tenant ?? DBNull.Value), ("service", span.Service), ("name", span.Name), ("started_ago", startedAgo));

    /// <summary>A span the Receiver collected <paramref name="collectedAgo"/> ago (no running row).</summary>
    public async Task CollectedAsync(SeededSpan span, TimeSpan collectedAgo, TimeSpan? ranFor = null, DateTime? collectedAt = null) =>
        await ExecuteAsync(
            """
            INSERT INTO partial_collected (trace_id, span_id, tenant, service_name, span_name, start_time, last_heartbeat, frequency, collected_at, reason, trace)
            VALUES (@trace_id, @span_id, @tenant, @service, @name,
                    coalesce(@collected_at, now() - @collected_ago) - interval '15 seconds' - @ran_for,
                    coalesce(@collected_at, now() - @collected_ago) - interval '15 seconds', interval '5 seconds',
                    coalesce(@collected_at, now() - @collected_ago), @reason, @trace)
            """,
            ("trace_id", span.TraceId), ("span_id", span.SpanId), ("tenant", (object?)span.Tenant ?? DBNull.Value), ("service", span.Service), ("name", span.Name),
            ("collected_at", (object?)collectedAt ?? DBNull.Value), ("collected_ago", collectedAgo), ("ran_for", ranFor ?? TimeSpan.FromMinutes(1)),
            ("reason", CollectedReason), ("trace", TracesData(span)));

    /// <summary>What the Receiver does to a running span that expired: records it as collected, deletes its row.</summary>
    public async Task CollectAsync(SeededSpan span) =>
        await ExecuteAsync(
            """
            WITH gone AS (DELETE FROM partial_traces WHERE trace_id = @trace_id AND span_id = @span_id RETURNING *)
            INSERT INTO partial_collected (trace_id, span_id, tenant, service_name, span_name, start_time, last_heartbeat, frequency, reason, trace)
            SELECT trace_id, span_id, tenant, service_name, span_name, start_time, "timestamp", frequency, @reason, trace FROM gone
            """,
            ("trace_id", span.TraceId), ("span_id", span.SpanId), ("reason", CollectedReason));

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
