using System.Text;
using Npgsql;
using PartialCollector.Core.Storage;

namespace PartialCollector.LiveView.Data;

/// <summary>
/// The live view's only access to PostgreSQL, read-only (SELECTs). Listings are keyset-paginated along the
/// indexes of migrations 0006, 0007 and 0010: a page costs an index range scan of about <c>limit</c> entries, however
/// many rows the tables hold. Every statement is built from fixed fragments; what a client sends is a parameter.
/// </summary>
public sealed class SpanStore(NpgsqlDataSource dataSource)
{
    private const string RunningColumns = """
        trace_id, span_id, service_name, span_name, start_time, "timestamp", expires_at,
        round(extract(epoch FROM now() - start_time)::numeric, 3)::float8 AS age_seconds,
        coalesce(now() - "timestamp" > frequency, false) AS overdue
        """;

    private const string RunningOrder = "ORDER BY start_time, trace_id, span_id";

    private const string CrashedColumns = """
        id, trace_id, span_id, service_name, span_name, start_time, last_heartbeat, collected_at,
        round(extract(epoch FROM last_heartbeat - start_time)::numeric, 3)::float8 AS age_seconds
        """;

    public async Task<SpanPage> ListAsync(SpanQuery query, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        command.CommandText = query.State == LiveSpan.Running ? RunningSql(query, command) : CrashedSql(query, command);

        // One row more than asked for says whether there is a next page.
        command.Parameters.Add(new NpgsqlParameter<int>("limit", query.Limit + 1));
        var spans = new List<LiveSpan>(Math.Min(query.Limit + 1, 1001));
        var ids = new List<long>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (query.State == LiveSpan.Running)
                {
                    spans.Add(ReadRunning(reader));
                }
                else
                {
                    ids.Add(reader.GetInt64(0));
                    spans.Add(ReadCrashed(reader));
                }
            }
        }

        if (spans.Count <= query.Limit)
        {
            return new SpanPage(spans, null);
        }

        spans.RemoveAt(spans.Count - 1);
        var last = spans[^1];
        var next = query.State == LiveSpan.Running
            ? SpanCursor.ForRunning(last)
            : SpanCursor.ForCrashed(ids[spans.Count - 1]);
        return new SpanPage(spans, next.Encode());
    }

    /// <summary>A running span (tombstones are not), else the latest record of its collection (the highest id); with the stored span.</summary>
    public async Task<(LiveSpan Span, byte[] Trace)?> FindAsync(string traceId, string spanId, string? tenant, CancellationToken cancellationToken)
    {
        await using (var command = dataSource.CreateCommand())
        {
            command.CommandText = $"""
                SELECT {RunningColumns}, trace FROM partial_traces
                WHERE trace_id = @trace_id AND span_id = @span_id AND stopped_until IS NULL{TenantFilter(tenant, command)}
                """;
            AddIds(command, traceId, spanId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return (ReadRunning(reader), reader.GetFieldValue<byte[]>(9));
            }
        }

        await using (var command = dataSource.CreateCommand())
        {
            command.CommandText = CrashedDetailSql(tenant, command);
            AddIds(command, traceId, spanId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return (ReadCrashed(reader), reader.GetFieldValue<byte[]>(9));
            }
        }

        return null;
    }

    /// <summary>Every service with a running span or a collection in the last hour, by name (spans without one last).</summary>
    public async Task<IReadOnlyList<ServiceSummary>> ServicesAsync(string? tenant, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        command.CommandText = ServicesSql(tenant, command);
        var services = new List<ServiceSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            services.Add(new ServiceSummary(
                reader.IsDBNull(0) ? null : reader.GetString(0),
                reader.GetInt64(1),
                reader.IsDBNull(2) ? null : reader.GetDouble(2),
                reader.GetInt64(3)));
        }

        return services;
    }

    /// <summary>
    /// The services summary. The last hour of collections is read through the BRIN index on collected_at (records
    /// are appended in collection order, so the hour is the last few block ranges), not the whole table.
    /// </summary>
    internal static string ServicesSql(string? tenant, NpgsqlCommand command)
    {
        var tenantFilter = TenantFilter(tenant, command);
        return $"""
            SELECT service_name, sum(running)::bigint, round(extract(epoch FROM now() - min(oldest))::numeric, 3)::float8, sum(crashed)::bigint
            FROM (
                SELECT service_name, count(*) AS running, min(start_time) AS oldest, 0 AS crashed
                FROM partial_traces WHERE stopped_until IS NULL{tenantFilter}
                GROUP BY service_name
                UNION ALL
                SELECT service_name, 0, NULL, count(*)
                FROM partial_collected WHERE collected_at > now() - interval '1 hour'{tenantFilter}
                GROUP BY service_name) counts
            GROUP BY service_name
            ORDER BY service_name NULLS LAST
            """;
    }

    /// <summary>Running spans of every tenant by service (null: rows without one), for the gauge.</summary>
    public async Task<IReadOnlyList<(string? Service, long Running)>> CountRunningByServiceAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT service_name, count(*) FROM partial_traces WHERE stopped_until IS NULL GROUP BY service_name");
        var counts = new List<(string?, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1)));
        }

        return counts;
    }

    /// <summary>
    /// Running spans, longest-running first: (start_time, trace_id, span_id) ascending, spans without a start time
    /// last. After a cursor with a start time the page continues in two index ranges, the rest of the timed rows
    /// then the untimed ones, each bounded by the limit, so neither becomes a scan of the table.
    /// </summary>
    internal static string RunningSql(SpanQuery query, NpgsqlCommand command)
    {
        var where = Filters("stopped_until IS NULL", query, command).ToString();
        switch (query.After)
        {
            case null:
                return $"SELECT {RunningColumns} FROM partial_traces WHERE {where} {RunningOrder} LIMIT @limit";
            case { Time: null } after:
                AddIds(command, after.TraceId!, after.SpanId!);
                return $"""
                    SELECT {RunningColumns} FROM partial_traces
                    WHERE {where} AND start_time IS NULL AND (trace_id, span_id) > (@trace_id, @span_id)
                    {RunningOrder} LIMIT @limit
                    """;
            case { Time: { } start } after:
                AddIds(command, after.TraceId!, after.SpanId!);
                command.Parameters.Add(NpgsqlParameters.Time("start_time", start));
                return $"""
                    SELECT * FROM (
                        (SELECT {RunningColumns} FROM partial_traces
                         WHERE {where} AND (start_time, trace_id, span_id) > (@start_time, @trace_id, @span_id)
                         {RunningOrder} LIMIT @limit)
                        UNION ALL
                        (SELECT {RunningColumns} FROM partial_traces
                         WHERE {where} AND start_time IS NULL
                         {RunningOrder} LIMIT @limit)) page
                    ORDER BY start_time NULLS LAST, trace_id, span_id LIMIT @limit
                    """;
        }
    }

    /// <summary>The WHERE clause both lists share: tenant, service and name, as parameters of <paramref name="command"/>.</summary>
    private static StringBuilder Filters(string first, SpanQuery query, NpgsqlCommand command)
    {
        var filters = new StringBuilder(first);
        filters.Append(TenantFilter(query.Tenant, command));
        if (query.Service is not null)
        {
            filters.Append(" AND service_name = @service");
            command.Parameters.Add(new NpgsqlParameter<string>("service", query.Service));
        }

        if (query.Name is not null)
        {
            filters.Append(" AND span_name = @name");
            command.Parameters.Add(new NpgsqlParameter<string>("name", query.Name));
        }

        return filters;
    }

    /// <summary>
    /// A collected span's latest crash record (the highest id), with its stored span: through the hash index on
    /// trace_id, the trace's few records filtered by span id.
    /// </summary>
    internal static string CrashedDetailSql(string? tenant, NpgsqlCommand command) => $"""
        SELECT {CrashedColumns}, trace FROM partial_collected
        WHERE trace_id = @trace_id AND span_id = @span_id{TenantFilter(tenant, command)}
        ORDER BY id DESC LIMIT 1
        """;

    /// <summary>
    /// Crashed spans, most recently recorded first: id descending (ids grow with claim order), along the primary key,
    /// or the service or tenant index, each (x, id).
    /// </summary>
    internal static string CrashedSql(SpanQuery query, NpgsqlCommand command)
    {
        var filters = Filters("true", query, command);

        if (query.After is { } after)
        {
            filters.Append(" AND id < @id");
            command.Parameters.Add(new NpgsqlParameter<long>("id", after.Id));
        }

        return $"SELECT {CrashedColumns} FROM partial_collected WHERE {filters} ORDER BY id DESC LIMIT @limit";
    }

    private static string TenantFilter(string? tenant, NpgsqlCommand command)
    {
        if (tenant is null)
        {
            return "";
        }

        if (!command.Parameters.Contains("tenant"))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenant));
        }

        return " AND tenant = @tenant";
    }

    private static void AddIds(NpgsqlCommand command, string traceId, string spanId)
    {
        command.Parameters.Add(new NpgsqlParameter<string>("trace_id", traceId));
        command.Parameters.Add(new NpgsqlParameter<string>("span_id", spanId));
    }

    private static LiveSpan ReadRunning(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTime>(4),
        reader.GetFieldValue<DateTime>(5),
        reader.GetFieldValue<DateTime>(6),
        null,
        reader.IsDBNull(7) ? null : reader.GetDouble(7),
        reader.GetBoolean(8),
        LiveSpan.Running);

    private static LiveSpan ReadCrashed(NpgsqlDataReader reader) => new(
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTime>(5),
        reader.GetFieldValue<DateTime>(6),
        null,
        reader.GetFieldValue<DateTime>(7),
        reader.IsDBNull(8) ? null : reader.GetDouble(8),
        false,
        LiveSpan.Crashed);
}
