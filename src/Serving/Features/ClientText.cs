namespace Serving.Features;

/// <summary>How error messages repeat what a client sent (model, version, feature names).</summary>
public static class ClientText
{
    /// <summary>
    /// Most characters of a client's text an error message repeats. The message travels back in
    /// the gRPC status trailer, percent-encoded (up to 9 bytes a character); a whole 64 KB name
    /// made the trailers larger than a client accepts, and grpc-dotnet's client then drops the
    /// connection with every call on it.
    /// </summary>
    public const int MaxQuotedChars = 64;

    /// <summary>The text in quotes, cut to <see cref="MaxQuotedChars"/> (never inside a surrogate pair), with its length when cut.</summary>
    public static string Quote(ReadOnlySpan<char> text)
    {
        if (text.Length <= MaxQuotedChars)
        {
            return $"'{text}'";
        }

        var cut = char.IsHighSurrogate(text[MaxQuotedChars - 1]) ? MaxQuotedChars - 1 : MaxQuotedChars;
        return $"'{text[..cut]}…' ({text.Length} characters)";
    }
}
