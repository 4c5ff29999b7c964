namespace Serving.LoadTest.Commands;

/// <summary>Turns configuration mistakes into a one-line message and exit code 2 instead of a stack trace.</summary>
internal static class CommandErrors
{
    public const int ConfigurationError = 2;
    public const int Cancelled = 130;

    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return ConfigurationError;
        }
    }
}
