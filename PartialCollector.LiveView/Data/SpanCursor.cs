using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace PartialCollector.LiveView.Data;

/// <summary>
/// The sort key of the last row of a page, opaque to clients (base64url). Running spans are ordered by
/// (start_time NULLS LAST, trace_id, span_id), crashed ones by id DESC (their crash record's, most recently recorded
/// first), so a crashed cursor carries only the id; a cursor carries the state it was made for, so one made for the
/// other list is refused rather than misread. Crashed cursors of the earlier (collected_at, id) format are refused
/// as any cursor this API did not give out.
/// </summary>
public sealed record SpanCursor(string State, DateTime? Time, string? TraceId, string? SpanId, long Id)
{
    public static SpanCursor ForRunning(LiveSpan last) => new(LiveSpan.Running, last.StartTime, last.TraceId, last.SpanId, 0);

    public static SpanCursor ForCrashed(long id) => new(LiveSpan.Crashed, null, null, null, id);

    public string Encode()
    {
        var text = State == LiveSpan.Running
            ? $"r:{(Time is { } t ? t.Ticks.ToString(CultureInfo.InvariantCulture) : "-")}:{TraceId}:{SpanId}"
            : $"c:{Id.ToString(CultureInfo.InvariantCulture)}";
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
    }

    public static bool TryDecode(string encoded, out SpanCursor? cursor)
    {
        cursor = null;
        if (encoded.Length is 0 or > 200)
        {
            return false;
        }

        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(encoded));
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = text.Split(':');
        if (parts is ["r", var start, var traceId, var spanId] && Hex.IsId(traceId, 32) && Hex.IsId(spanId, 16))
        {
            if (start == "-")
            {
                cursor = new SpanCursor(LiveSpan.Running, null, traceId, spanId, 0);
                return true;
            }

            if (TryTicks(start, out var time))
            {
                cursor = new SpanCursor(LiveSpan.Running, time, traceId, spanId, 0);
                return true;
            }
        }
        else if (parts is ["c", var id] && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId))
        {
            cursor = ForCrashed(rowId);
            return true;
        }

        return false;
    }

    private static bool TryTicks(string text, out DateTime time)
    {
        time = default;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        time = new DateTime(ticks, DateTimeKind.Utc);
        return true;
    }
}

/// <summary>Trace and span ids as the tables key them: lowercase hex of 16 / 8 bytes.</summary>
public static class Hex
{
    public static bool IsId(string text, int length) =>
        text.Length == length && text.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>An id from a URL, any case, as the tables store it; null if it is not one.</summary>
    public static string? NormalizeId(string text, int length)
    {
        var lower = text.ToLowerInvariant();
        return IsId(lower, length) ? lower : null;
    }
}
