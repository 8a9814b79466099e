namespace PartialCollector.Receiver.Delivery;

/// <summary>What may stand in an HTTP header (RFC 9110), so nothing that cannot travel is handed to a transport.</summary>
public static class HeaderText
{
    private const string TokenSymbols = "!#$%&'*+-.^_`|~";

    /// <summary>A field name: one or more token characters (so never a <c>:pseudo-header</c>).</summary>
    public static bool IsToken(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || TokenSymbols.Contains(c));

    /// <summary>A field value both HTTP/1.1 and gRPC metadata carry as is: visible ASCII and inner spaces.</summary>
    public static bool IsPlainValue(string? value) =>
        !string.IsNullOrEmpty(value) && value.Trim().Length == value.Length && value.All(c => c is >= ' ' and <= '~');
}
