namespace Serving.Models;

/// <summary>A model's config or graph is unusable; the message names the file and the problem.</summary>
public sealed class ModelConfigException : Exception
{
    public ModelConfigException(string path, string problem)
        : base($"{path}: {problem}")
    {
        Path = path;
        Problem = problem;
    }

    public ModelConfigException(string path, string problem, Exception inner)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; }
    public string Problem { get; }
}
