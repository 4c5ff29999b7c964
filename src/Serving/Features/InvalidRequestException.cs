namespace Serving.Features;

/// <summary>The request cannot be scored as sent; <see cref="Field"/> names the offending field.</summary>
public sealed class InvalidRequestException : Exception
{
    public InvalidRequestException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    public string Field { get; }

    public string Problem { get; }
}
