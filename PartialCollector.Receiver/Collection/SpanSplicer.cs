using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Builds one encoded <c>ExportTraceServiceRequest</c> out of stored <c>TracesData</c> bytes without decoding them
/// into messages (decoding and re-encoding was half of the Receiver's CPU). Each span's bytes are copied as stored,
/// less its end time, any <c>partial.gc</c> attributes and, when it is replaced, its status; the new fields follow.
/// Spans are grouped by resource and scope, compared as stored: every field of a ResourceSpans but its scope_spans,
/// and of a ScopeSpans but its spans. Rows are walked down to the fields of a span, of its attributes' keys and of
/// its status, and no deeper: the downstream judges the rest, and a rejection there is split down to one row.
/// </summary>
internal sealed class SpanSplicer(bool markAsError)
{
    // Field numbers of opentelemetry/proto/trace/v1/trace.proto. ExportTraceServiceRequest's resource_spans is field 1
    // too, so a request is written as a TracesData would be.
    private const int ResourceSpansField = 1;
    private const int ScopeSpansField = 2;
    private const int SpansField = 2;
    private const int StartTimeField = 7;
    private const int EndTimeField = 8;
    private const int AttributesField = 9;
    private const int StatusField = 15;
    private const int KeyValueKeyField = 1;
    private const int StatusCodeField = 3;

    private static readonly byte ResourceSpansTag = Tag(ResourceSpansField, WireFormat.WireType.LengthDelimited);
    private static readonly byte ScopeSpansTag = Tag(ScopeSpansField, WireFormat.WireType.LengthDelimited);
    private static readonly byte SpanTag = Tag(SpansField, WireFormat.WireType.LengthDelimited);
    private static readonly byte EndTimeTag = Tag(EndTimeField, WireFormat.WireType.Fixed64);
    private const int EndTimeBytes = 1 + sizeof(ulong);

    private static readonly byte[] GcAttribute = Encoded(
        AttributesField, new KeyValue { Key = PartialAttributes.Gc, Value = new AnyValue { BoolValue = true } });

    private static readonly byte[] ErrorStatus = Encoded(
        StatusField, new Status { Code = Status.Types.StatusCode.Error, Message = SpanDecorator.ErrorMessage });

    private readonly List<ResourceGroup> resources = [];
    private readonly Dictionary<byte[], ResourceGroup> resourcesByKey = new(ByteKeyComparer.Instance);
    private readonly List<SplicedSpan> spans = [];
    private readonly List<Cut> cuts = [];

    // What the row being walked holds, kept apart until the whole row is known to be well formed.
    private readonly List<Cut> resourceKeys = [];
    private readonly List<Cut> scopeKeys = [];
    private readonly List<KeyRun> rowResources = [];
    private readonly List<RowScope> rowScopes = [];
    private readonly List<ResourceGroup> rowGroups = [];
    private byte[] scratch = [];

    public int SpanCount => spans.Count;

    /// <summary>Adds a stored row's spans, ended at <paramref name="end"/> (or their start); null, or why the row cannot be sent.</summary>
    public string? Add(byte[] trace, ulong end)
    {
        if (trace.Length == 0)
        {
            return "stored trace is empty";
        }

        var spanMark = spans.Count;
        var cutMark = cuts.Count;
        resourceKeys.Clear();
        scopeKeys.Clear();
        rowResources.Clear();
        rowScopes.Clear();
        try
        {
            Walk(trace, end);
        }
        catch (InvalidDataException e)
        {
            Drop(spanMark, cutMark);
            return $"stored trace is not a protobuf TracesData: {e.Message}";
        }

        if (spans.Count == spanMark)
        {
            Drop(spanMark, cutMark);
            return "stored trace holds no span";
        }

        Commit(trace);
        return null;
    }

    /// <summary>The request: resources in the order first seen, their scopes likewise, spans in the order added.</summary>
    public byte[] ToArray()
    {
        var total = 0;
        foreach (var resource in resources)
        {
            resource.Size = resource.Key.Length;
            foreach (var scope in resource.Scopes)
            {
                resource.Size += Framed(scope.Size);
            }

            total += Framed(resource.Size);
        }

        var spanList = CollectionsMarshal.AsSpan(spans);
        var output = GC.AllocateUninitializedArray<byte>(total);
        var at = 0;
        foreach (var resource in resources)
        {
            output[at++] = ResourceSpansTag;
            at = WriteVarint(output, at, (uint)resource.Size);
            at = Copy(resource.Key, output, at);
            foreach (var scope in resource.Scopes)
            {
                output[at++] = ScopeSpansTag;
                at = WriteVarint(output, at, (uint)scope.Size);
                at = Copy(scope.Key, output, at);
                for (var i = scope.First; i >= 0; i = spanList[i].Next)
                {
                    at = WriteSpan(spanList[i], output, at);
                }
            }
        }

        // The sizes above must describe exactly what was written, or every length prefix before a mistake is wrong.
        return at == total ? output : throw new InvalidOperationException($"spliced {at} bytes into a request of {total}");
    }

    private void Walk(byte[] trace, ulong end)
    {
        var traces = new WireReader(trace, 0, trace.Length, "TracesData");
        while (traces.Next(out var field))
        {
            // Another field number, or another wire type for this one, is a field TracesData does not know: no resource.
            if (!field.Is(ResourceSpansField, WireType.LengthDelimited))
            {
                continue;
            }

            var keyStart = resourceKeys.Count;
            var reader = new WireReader(trace, field.ValueStart, field.End, "ResourceSpans");
            while (reader.Next(out var inner))
            {
                if (inner.Is(ScopeSpansField, WireType.LengthDelimited))
                {
                    WalkScope(trace, inner, rowResources.Count, end);
                }
                else
                {
                    Extend(resourceKeys, keyStart, inner);
                }
            }

            rowResources.Add(new KeyRun(keyStart, resourceKeys.Count - keyStart));
        }
    }

    private void WalkScope(byte[] trace, WireField scopeSpans, int resource, ulong end)
    {
        var keyStart = scopeKeys.Count;
        var firstSpan = spans.Count;
        var reader = new WireReader(trace, scopeSpans.ValueStart, scopeSpans.End, "ScopeSpans");
        while (reader.Next(out var field))
        {
            if (field.Is(SpansField, WireType.LengthDelimited))
            {
                WalkSpan(trace, field, end);
            }
            else
            {
                Extend(scopeKeys, keyStart, field);
            }
        }

        rowScopes.Add(new RowScope(resource, new KeyRun(keyStart, scopeKeys.Count - keyStart), firstSpan, spans.Count - firstSpan));
    }

    private void WalkSpan(byte[] trace, WireField span, ulong end)
    {
        var firstCut = cuts.Count;
        ulong start = 0;
        var hasStatus = false;
        uint code = 0;
        var reader = new WireReader(trace, span.ValueStart, span.End, "Span");
        while (reader.Next(out var field))
        {
            if (field.Is(StartTimeField, WireType.Fixed64))
            {
                start = field.Scalar;
            }
            else if (field.Is(EndTimeField, WireType.Fixed64))
            {
                cuts.Add(new Cut(field.Start, field.End));
            }
            else if (field.Is(AttributesField, WireType.LengthDelimited) && IsGcAttribute(trace, field))
            {
                cuts.Add(new Cut(field.Start, field.End));
            }
            else if (field.Is(StatusField, WireType.LengthDelimited))
            {
                // A message field stored more than once is merged when parsed: the last code read wins.
                hasStatus = true;
                code = StatusCode(trace, field) ?? code;
                cuts.Add(new Cut(field.Start, field.End, IsStatus: true));
            }
        }

        var error = markAsError && (!hasStatus || code == (uint)Status.Types.StatusCode.Unset);
        if (!error)
        {
            // The status stays as stored.
            var kept = firstCut;
            for (var i = firstCut; i < cuts.Count; i++)
            {
                if (!cuts[i].IsStatus)
                {
                    cuts[kept++] = cuts[i];
                }
            }

            cuts.RemoveRange(kept, cuts.Count - kept);
        }

        var size = span.End - span.ValueStart + GcAttribute.Length + EndTimeBytes + (error ? ErrorStatus.Length : 0);
        for (var i = firstCut; i < cuts.Count; i++)
        {
            size -= cuts[i].End - cuts[i].Start;
        }

        spans.Add(new SplicedSpan(trace, span.ValueStart, span.End, firstCut, cuts.Count - firstCut, Math.Max(end, start), error, size));
    }

    private static bool IsGcAttribute(byte[] trace, WireField attribute)
    {
        var reader = new WireReader(trace, attribute.ValueStart, attribute.End, "KeyValue");
        var key = ReadOnlySpan<byte>.Empty;
        while (reader.Next(out var field))
        {
            if (field.Is(KeyValueKeyField, WireType.LengthDelimited))
            {
                key = trace.AsSpan(field.ValueStart, field.End - field.ValueStart);
            }
        }

        return key.SequenceEqual(GcKey);
    }

    private static ReadOnlySpan<byte> GcKey => "partial.gc"u8;

    private static uint? StatusCode(byte[] trace, WireField status)
    {
        var reader = new WireReader(trace, status.ValueStart, status.End, "Status");
        uint? code = null;
        while (reader.Next(out var field))
        {
            if (field.Is(StatusCodeField, WireType.Varint))
            {
                // An enum is read as an int32: only the low 32 bits count.
                code = (uint)field.Scalar;
            }
        }

        return code;
    }

    // Key fields are mostly adjacent: one run of bytes then compares without being copied.
    private static void Extend(List<Cut> keys, int keyStart, WireField field)
    {
        if (keys.Count > keyStart && keys[^1].End == field.Start)
        {
            keys[^1] = keys[^1] with { End = field.End };
        }
        else
        {
            keys.Add(new Cut(field.Start, field.End));
        }
    }

    private void Commit(byte[] trace)
    {
        rowGroups.Clear();
        foreach (var run in rowResources)
        {
            var key = Key(trace, resourceKeys, run);
            if (!resourcesByKey.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var resource))
            {
                resource = new ResourceGroup(key.ToArray());
                resourcesByKey.Add(resource.Key, resource);
                resources.Add(resource);
            }

            rowGroups.Add(resource);
        }

        var spanList = CollectionsMarshal.AsSpan(spans);
        foreach (var rowScope in rowScopes)
        {
            var scope = rowGroups[rowScope.Resource].Scope(Key(trace, scopeKeys, rowScope.Key));
            for (var i = rowScope.FirstSpan; i < rowScope.FirstSpan + rowScope.SpanCount; i++)
            {
                if (scope.Last >= 0)
                {
                    spanList[scope.Last].Next = i;
                }
                else
                {
                    scope.First = i;
                }

                scope.Last = i;
                scope.Size += Framed(spanList[i].Size);
            }
        }
    }

    private ReadOnlySpan<byte> Key(byte[] trace, List<Cut> keys, KeyRun run)
    {
        switch (run.Count)
        {
            case 0:
                return [];
            case 1:
                return trace.AsSpan(keys[run.First].Start, keys[run.First].End - keys[run.First].Start);
        }

        var length = 0;
        for (var i = run.First; i < run.First + run.Count; i++)
        {
            length += keys[i].End - keys[i].Start;
        }

        if (scratch.Length < length)
        {
            scratch = new byte[Math.Max(length, scratch.Length * 2)];
        }

        var at = 0;
        for (var i = run.First; i < run.First + run.Count; i++)
        {
            at = Copy(trace.AsSpan(keys[i].Start, keys[i].End - keys[i].Start), scratch, at);
        }

        return scratch.AsSpan(0, length);
    }

    private void Drop(int spanMark, int cutMark)
    {
        spans.RemoveRange(spanMark, spans.Count - spanMark);
        cuts.RemoveRange(cutMark, cuts.Count - cutMark);
    }

    private int WriteSpan(in SplicedSpan span, byte[] output, int at)
    {
        output[at++] = SpanTag;
        at = WriteVarint(output, at, (uint)span.Size);
        var from = span.Start;
        for (var i = span.FirstCut; i < span.FirstCut + span.CutCount; i++)
        {
            at = Copy(span.Source.AsSpan(from, cuts[i].Start - from), output, at);
            from = cuts[i].End;
        }

        at = Copy(span.Source.AsSpan(from, span.End - from), output, at);
        at = Copy(GcAttribute, output, at);
        output[at++] = EndTimeTag;
        BinaryPrimitives.WriteUInt64LittleEndian(output.AsSpan(at), span.EndTime);
        at += sizeof(ulong);
        return span.Error ? Copy(ErrorStatus, output, at) : at;
    }

    private static int Copy(ReadOnlySpan<byte> source, byte[] output, int at)
    {
        source.CopyTo(output.AsSpan(at));
        return at + source.Length;
    }

    private static int WriteVarint(byte[] output, int at, uint value)
    {
        while (value >= 0x80)
        {
            output[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        output[at++] = (byte)value;
        return at;
    }

    // A length-delimited field of a one-byte tag: tag, length, bytes.
    private static int Framed(int size) => 1 + CodedOutputStream.ComputeLengthSize(size) + size;

    private static byte Tag(int field, WireFormat.WireType type) => checked((byte)WireFormat.MakeTag(field, type));

    private static byte[] Encoded(int field, IMessage value) =>
        [Tag(field, WireFormat.WireType.LengthDelimited), .. ToVarint((uint)value.CalculateSize()), .. value.ToByteArray()];

    private static byte[] ToVarint(uint value)
    {
        var bytes = new byte[CodedOutputStream.ComputeRawVarint32Size(value)];
        WriteVarint(bytes, 0, value);
        return bytes;
    }

    /// <summary>A range of a stored row: a field to leave out of a span, or part of a resource's or scope's key.</summary>
    private readonly record struct Cut(int Start, int End, bool IsStatus = false);

    /// <summary>The key ranges of one resource or scope of the row being walked.</summary>
    private readonly record struct KeyRun(int First, int Count);

    /// <summary>A scope of the row being walked: its resource (in the row), its key, and its spans.</summary>
    private readonly record struct RowScope(int Resource, KeyRun Key, int FirstSpan, int SpanCount);

    /// <summary>A span to splice: where it lies, what to leave out of it, what to add, and the next span of its scope.</summary>
    private record struct SplicedSpan(byte[] Source, int Start, int End, int FirstCut, int CutCount, ulong EndTime, bool Error, int Size)
    {
        public int Next { get; set; } = -1;
    }

    /// <summary>A resource of the request: its stored fields, its scopes in the order first seen, and its content's size.</summary>
    private sealed class ResourceGroup(byte[] key)
    {
        private readonly Dictionary<byte[], ScopeGroup> byKey = new(ByteKeyComparer.Instance);

        public byte[] Key { get; } = key;

        public List<ScopeGroup> Scopes { get; } = [];

        public int Size { get; set; }

        public ScopeGroup Scope(ReadOnlySpan<byte> key)
        {
            if (!byKey.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var scope))
            {
                scope = new ScopeGroup(key.ToArray());
                byKey.Add(scope.Key, scope);
                Scopes.Add(scope);
            }

            return scope;
        }
    }

    /// <summary>A scope of the request: its stored fields, its spans (a list linked through them), and its content's size.</summary>
    private sealed class ScopeGroup(byte[] key)
    {
        public byte[] Key { get; } = key;

        public int Size { get; set; } = key.Length;

        public int First { get; set; } = -1;

        public int Last { get; set; } = -1;
    }
}
