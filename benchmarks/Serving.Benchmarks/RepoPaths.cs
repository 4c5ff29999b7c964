namespace Serving.Benchmarks;

/// <summary>Finds files of the repository from wherever the tool runs (bin folder or repository root).</summary>
internal static class RepoPaths
{
    /// <summary>The folder holding Serving.sln, searched upwards from the working directory, then from the binary.</summary>
    public static string Root { get; } = Find();

    public static string DefaultModelConfig => Path.Combine(Root, "models", "criteo-deepfm", "config.json");

    private static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Serving.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
