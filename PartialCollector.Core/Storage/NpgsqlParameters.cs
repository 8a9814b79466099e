using Npgsql;
using NpgsqlTypes;

namespace PartialCollector.Core.Storage;

/// <summary>
/// The parameters the stores hand PostgreSQL, typed on the client so no statement depends on inference: batches as
/// parallel arrays that the statements <c>unnest</c>, times as <c>timestamptz</c>, and durations as a number of
/// microseconds, which the statements turn into an interval (<c>$n * interval '1 microsecond'</c>).
/// </summary>
public static class NpgsqlParameters
{
    /// <summary>A positional parameter of the type Npgsql maps <typeparamref name="T"/> to.</summary>
    public static NpgsqlParameter<T> Value<T>(T value) => new() { TypedValue = value };

    /// <summary><paramref name="duration"/> in whole microseconds (truncated), as the statements expect intervals.</summary>
    public static long ToMicros(TimeSpan duration) => duration.Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>A <c>bigint</c> parameter: <paramref name="duration"/> in microseconds.</summary>
    public static NpgsqlParameter<long> Micros(TimeSpan duration) => Value(ToMicros(duration));

    public static NpgsqlParameter<string[]> TextArray(string[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values };

    /// <summary>A <c>text[]</c> whose null elements are SQL NULLs.</summary>
    public static NpgsqlParameter<string?[]> NullableTextArray(string?[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values };

    public static NpgsqlParameter<byte[][]> ByteaArray(byte[][] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = values };

    public static NpgsqlParameter<DateTime[]> TimeArray(DateTime[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, TypedValue = values };

    /// <summary>A <c>timestamptz[]</c> whose null elements are SQL NULLs.</summary>
    public static NpgsqlParameter<DateTime?[]> NullableTimeArray(DateTime?[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, TypedValue = values };

    /// <summary>A named <c>timestamptz</c> parameter (<c>@name</c> in the statement).</summary>
    public static NpgsqlParameter<DateTime> Time(string name, DateTime value) =>
        new(name, NpgsqlDbType.TimestampTz) { TypedValue = value };
}
