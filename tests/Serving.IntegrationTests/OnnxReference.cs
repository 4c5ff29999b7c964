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
        using var session = new InferenceSession(Path.Combine(RepositoryPaths.Models, model, "1", "model.onnx"));
        var inputs = new List<OrtValue>();
        try
        {
            foreach (var input in spec.Inputs)
            {
                long[] shape = [rows.Rows, input.Columns];
                inputs.Add(input.ElementKind == TensorElementKind.Float32
                    ? OrtValue.CreateTensorValueFromMemory(rows.Float32(input.Index).ToArray(), shape)
                    : OrtValue.CreateTensorValueFromMemory(rows.Int64(input.Index).ToArray(), shape));
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
