namespace PartialCollector.Receiver.Collection;

/// <summary>
/// One field of a protobuf message as it lies in the stored bytes: its number and wire type, where it starts (at its
/// tag) and ends, where its value starts (after the length prefix, for a length-delimited field), and the value of a
/// varint or fixed-width field.
/// </summary>
internal readonly record struct WireField(int Number, WireType Type, int Start, int ValueStart, int End, ulong Scalar)
{
    public bool Is(int number, WireType type) => Number == number && Type == type;
}
