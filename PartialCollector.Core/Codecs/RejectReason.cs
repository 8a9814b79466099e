namespace PartialCollector.Core.Codecs;

/// <summary>Why a log record was rejected; the value is the metric tag and the start of the client's message.</summary>
public enum RejectReason
{
    None = 0,
    MissingFrequency,
    InvalidFrequency,
    UnknownBodyType,
    MissingBody,
    InvalidBody,
    NoSpans,
    InvalidSpanId,
    TooManySpans,
    SpanTooLarge,
    RequestTooLarge,
    Unwritable,
    DecoderError,
}

public static class RejectReasonNames
{
    public static string ToTag(this RejectReason reason) => reason switch
    {
        RejectReason.MissingFrequency => "missing_frequency",
        RejectReason.InvalidFrequency => "invalid_frequency",
        RejectReason.UnknownBodyType => "unknown_body_type",
        RejectReason.MissingBody => "missing_body",
        RejectReason.InvalidBody => "invalid_body",
        RejectReason.NoSpans => "no_spans",
        RejectReason.InvalidSpanId => "invalid_span_id",
        RejectReason.TooManySpans => "too_many_spans",
        RejectReason.SpanTooLarge => "span_too_large",
        RejectReason.RequestTooLarge => "request_too_large",
        RejectReason.Unwritable => "unwritable",
        RejectReason.DecoderError => "decoder_error",
        _ => "none",
    };
}
