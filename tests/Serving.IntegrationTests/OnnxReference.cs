using Microsoft.ML.OnnxRuntime;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Models;

namespace Serving.IntegrationTests;

/// <summary>Scores a request by calling ONNX Runtime directly on its assembled rows: the reference the server must match.</summary>
internal static class OnnxReference
{
    public static float[] Score(string model, RankRequest request)
    {
        var spec = Requests.Spec(model);
        using var rows = FeatureAssembler.Assemble(spec, request, int.MaxValue);
        return Run(model, spec, rows.Rows, i => rows.Float32(i).ToArray(), i => rows.Int64(i).ToArray());
    }

    /// <summary>
    /// Scores <paramref name="count"/> rows in which every feature holds its spec's default, written
    /// here from the config alone (default bucket; dense default through identity or log1p), not by
    /// the server's assembler: what a request without features must score.
    /// </summary>
    public static float[] ScoreDefaults(string model, int count)
    {
        var spec = Requests.Spec(model);
        var floats = spec.Inputs.Select(i => new float[count * i.Columns]).ToArray();
        var longs = spec.Inputs.Select(i => new long[count * i.Columns]).ToArray();
        foreach (var f in spec.Features)
        {
            var columns = spec.Inputs[f.InputIndex].Columns;
            for (var r = 0; r < count; r++)
            {
                if (f.Kind == Serving.Models.FeatureKind.Sparse)
                {
                    longs[f.InputIndex][(r * columns) + f.Column] = (long)f.DefaultValue;
                }
                else
                {
                    floats[f.InputIndex][(r * columns) + f.Column] = (float)(f.Transform == DenseTransform.Log1p ? Math.Log(1 + Math.Max(f.DefaultValue, 0)) : f.DefaultValue);
                }
            }
        }

        return Run(model, spec, count, i => floats[i], i => longs[i]);
    }

    private static float[] Run(string model, ModelSpec spec, int count, Func<int, float[]> floats, Func<int, long[]> longs)
    {
        using var session = new InferenceSession(Path.Combine(RepositoryPaths.Models, model, "1", "model.onnx"));
        var inputs = new List<OrtValue>();
        try
        {
            foreach (var input in spec.Inputs)
            {
                long[] shape = [count, input.Columns];
                inputs.Add(input.ElementKind == TensorElementKind.Float32
                    ? OrtValue.CreateTensorValueFromMemory(floats(input.Index), shape)
                    : OrtValue.CreateTensorValueFromMemory(longs(input.Index), shape));
            }

            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, spec.Inputs.Select(i => i.Name).ToArray(), inputs, [spec.OutputName]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            inputs.ForEach(v => v.Dispose());
        }
    }
}
