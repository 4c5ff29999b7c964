using System.Text.Json;
using Serving.Execution;
using Serving.Models;

namespace Serving.Benchmarks.Tests;

/// <summary>gpu-check: refuses at once without a GPU, compares scores to 1e-5, writes its report.</summary>
public sealed class GpuCheckTests : IDisposable
{
    private static readonly string Models = Path.Combine(RepoPaths.Root, "models");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpu-check-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void WithoutAnNvidiaDeviceItRefusesAtOnceWithTheReasonAndExitCode3()
    {
        var probe = new GpuHostProbe(() => false, _ => true);
        var (error, output) = (new StringWriter(), new StringWriter());

        var exitCode = GpuCheckRunner.Run(Options(Path.Combine(_dir, "no-such-repository")), probe, output, error);

        Assert.Equal(GpuCheckRunner.NoGpuExitCode, exitCode);
        Assert.Contains("refusing to run: no GPU: no NVIDIA device", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")), "nothing is written when refusing");
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void WithoutTheCudaLibrariesItNamesTheMissingOnes()
    {
        var probe = new GpuHostProbe(() => true, library => library is not ("libcudnn.so.9" or "libcublasLt.so.13"));
        var error = new StringWriter();

        var exitCode = GpuCheckRunner.Run(Options(Models), probe, TextWriter.Null, error);

        Assert.Equal(GpuCheckRunner.NoGpuExitCode, exitCode);
        Assert.Contains("no CUDA libraries: cannot load libcublasLt.so.13, libcudnn.so.9 (", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("libcudart", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AHostWithADeviceAndTheLibrariesMayTryCuda() =>
        Assert.Null(new GpuHostProbe(() => true, _ => true).MissingRequirement());

    [Fact]
    public void CpuAgainstCpuSessionsOfOneModelAgreeExactly()
    {
        var model = ShippedModels.Find(Models).Single(m => m.Name == "criteo-deepfm");
        using var reference = Replica(model.Spec, model.ModelPath);
        using var candidate = Replica(model.Spec, model.ModelPath);

        var parity = ScoreParity.Compare(model.Spec, reference, candidate, rows: 300, tolerance: 1e-5);

        Assert.True(parity.Passed);
        Assert.Equal((300, 0.0), (parity.Rows, parity.MaxAbsDifference));
    }

    [Fact]
    public void AnotherGraphWithTheSameInputsFailsParity()
    {
        // criteo-deepfm-xl takes the same inputs as criteo-deepfm: its scores stand in for a GPU that computes wrong ones.
        var models = ShippedModels.Find(Models);
        var small = models.Single(m => m.Name == "criteo-deepfm");
        var large = models.Single(m => m.Name == "criteo-deepfm-xl");
        using var reference = Replica(small.Spec, small.ModelPath);
        using var candidate = Replica(small.Spec, large.ModelPath);

        var parity = ScoreParity.Compare(small.Spec, reference, candidate, rows: 64, tolerance: 1e-5);

        Assert.False(parity.Passed);
        Assert.True(parity.MaxAbsDifference > 1e-3, $"max difference {parity.MaxAbsDifference}");
    }

    [Theory]
    [InlineData(0.25f, 0.25f, 0.0, true)]
    [InlineData(0.25f, 0.250009f, 9e-6, true)]
    [InlineData(0.25f, 0.250011f, 1.1e-5, false)]
    [InlineData(0.25f, float.NaN, double.PositiveInfinity, false)]
    public void ParityAllowsAtMostTheToleranceOnTheWorstScore(float expected, float actual, double difference, bool passed)
    {
        var (max, row) = ScoreParity.MaxAbsDifference([0.5f, expected, 0.125f], [0.5f, actual, 0.125f]);
        var result = new ParityResult(3, max, row, 1e-5);

        Assert.True(max == difference || Math.Abs(max - difference) <= 1e-7, $"max difference {max}, expected {difference}");
        Assert.Equal(difference == 0 ? 0 : 1, row);
        Assert.Equal(passed, result.Passed);
    }

    [Fact]
    public void ScoresOfDifferentLengthsNeverPass() =>
        Assert.Equal(double.PositiveInfinity, ScoreParity.MaxAbsDifference([0.5f, 0.5f], [0.5f]).Difference);

    [Fact]
    public void AStandInRunWritesTheJsonAndMarkdownReportForEveryModel()
    {
        var repository = Path.Combine(_dir, "models");
        CopyModel("criteo-deepfm", repository);
        CopyModel("avazu-dcn", repository);
        Directory.CreateDirectory(Path.Combine(repository, "export")); // no config.json: not a model
        var output = new StringWriter();

        var exitCode = GpuCheckRunner.Run(Options(repository) with { StandIn = true }, new GpuHostProbe(() => false, _ => false), output, TextWriter.Null);

        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "out", GpuCheckReportWriter.JsonFile)));
        var root = json.RootElement;
        Assert.Equal("cpu (stand-in)", root.GetProperty("candidate").GetString());
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.Equal(["avazu-dcn", "criteo-deepfm"], root.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("model").GetString()));
        var criteo = root.GetProperty("models")[1];
        Assert.Equal([1, 8], criteo.GetProperty("candidateSizes").EnumerateArray().Select(s => s.GetProperty("batchRows").GetInt32()));
        Assert.Equal(2, criteo.GetProperty("cpuSizes").GetArrayLength());
        Assert.True(criteo.GetProperty("candidateSizes")[1].GetProperty("rowsPerSecond").GetDouble() > 0);
        var markdown = File.ReadAllText(Path.Combine(_dir, "out", GpuCheckReportWriter.MarkdownFile));
        Assert.Contains("| criteo-deepfm | 1 | 128 | 0e+0 | 0 | 1e-5 | pass |", markdown, StringComparison.Ordinal);
        Assert.Contains("## avazu-dcn rows/s by batch size", markdown, StringComparison.Ordinal);
        Assert.Contains("criteo-deepfm v1: 128 rows", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheMarkdownReportFlagsAFailedModelAndListsItsRates()
    {
        var report = new GpuCheckReport
        {
            Candidate = "cuda:0",
            OnnxRuntimeVersion = "1.31.0",
            Machine = "gpu-host, 8 cores",
            Tolerance = 1e-5,
            SecondsPerBatchSize = 1,
            Models =
            [
                new GpuModelResult("m", "2", new ParityResult(1024, 3e-4, 17, 1e-5),
                    [new RawOrtBatchSize(256, 1000, 512000, 0.5, 0.5, 0.9)],
                    [new RawOrtBatchSize(256, 500, 128000, 2, 2, 3)]),
            ],
        };

        GpuCheckReportWriter.Write(_dir, report);

        var markdown = File.ReadAllText(Path.Combine(_dir, GpuCheckReportWriter.MarkdownFile));
        Assert.Contains("| m | 2 | 1024 | 3e-4 | 17 | 1e-5 | FAIL |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 256 | 512000 | 0.500 | 0.900 | 128000 | 2.000 | 4.00 |", markdown, StringComparison.Ordinal);
        Assert.Contains("**Parity FAILED**", markdown, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, GpuCheckReportWriter.JsonFile)));
        Assert.False(json.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(3e-4, json.RootElement.GetProperty("models")[0].GetProperty("parity").GetProperty("maxAbsDifference").GetDouble());
    }

    [Fact]
    public void TheDefaultsSweepOneTo4096RowsAtATolerance1e5()
    {
        var options = GpuCheckCommand.Bind([]);

        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096], options.BatchSizes);
        Assert.Equal((1e-5, 1024, 0, true, false), (options.Tolerance, options.ParityRows, options.DeviceId, options.CpuBaseline, options.StandIn));
        Assert.EndsWith(Path.Combine("artifacts", "gpu"), options.OutputDirectory, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1,10,32,100,165,1024", new[] { 1, 10, 32, 100, 165, 1024 })]
    [InlineData("1024, 1 ,10,10", new[] { 1, 10, 1024 })]
    public void BatchSizesAreParsedSortedAndDistinct(string text, int[] expected) =>
        Assert.Equal(expected, BatchSizes.Parse(text));

    [Theory]
    [InlineData("0")]
    [InlineData("1,x")]
    [InlineData("-4")]
    public void ABatchSizeBelowOneRowIsRefused(string text) =>
        Assert.Throws<ArgumentException>(() => BatchSizes.Parse(text));

    [Fact]
    public void RawOrtSizesSetTheLargestBatch()
    {
        var options = RawOrtCommand.Bind(["--sizes", "1,10,32,100,165,1024"]);

        Assert.Equal([1, 10, 32, 100, 165, 1024], options.BatchSizes);
        Assert.Equal(1024, options.MaxBatchRows);
        Assert.Empty(RawOrtCommand.Bind([]).BatchSizes);
    }

    private GpuCheckOptions Options(string repository) =>
        new(repository, Path.Combine(_dir, "out"), 0, [1, 8], 0.01, 1e-5, 128, CpuBaseline: true, StandIn: false);

    private static SessionReplica Replica(ModelSpec spec, string modelPath)
    {
        var session = CpuSessionFactory.Create(modelPath, 1);
        return new SessionReplica(session, spec, OnnxSignature.Verify(session, spec, modelPath), 1024, "cpu");
    }

    private static void CopyModel(string name, string repository)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Models, name), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(repository, name, Path.GetRelativePath(Path.Combine(Models, name), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
