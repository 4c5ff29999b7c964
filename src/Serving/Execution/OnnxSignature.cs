using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Serving.Models;

namespace Serving.Execution;

/// <summary>What the ONNX graph declares, checked against the model's config.</summary>
public sealed record OnnxSignature(int OutputRank)
{
    /// <summary>Fails with a message naming the model file unless the graph's inputs and output match <paramref name="spec"/>.</summary>
    public static OnnxSignature Verify(InferenceSession session, ModelSpec spec, string modelPath)
    {
        var declared = session.InputMetadata;
        foreach (var name in declared.Keys)
        {
            if (!spec.Inputs.Any(i => i.Name == name))
            {
                throw new ModelConfigException(modelPath, $"graph input '{name}' is not declared in {spec.ConfigPath}");
            }
        }

        foreach (var input in spec.Inputs)
        {
            if (!declared.TryGetValue(input.Name, out var meta))
            {
                throw new ModelConfigException(modelPath, $"graph has no input '{input.Name}' declared in {spec.ConfigPath}");
            }

            var expected = input.ElementKind == TensorElementKind.Float32 ? TensorElementType.Float : TensorElementType.Int64;
            if (!meta.IsTensor || meta.ElementDataType != expected)
            {
                throw new ModelConfigException(modelPath, $"graph input '{input.Name}' is {meta.ElementDataType}, config says {expected}");
            }

            var dims = meta.Dimensions;
            if (dims.Length != 2 || dims[0] > 0 || dims[1] != input.Columns)
            {
                throw new ModelConfigException(modelPath, $"graph input '{input.Name}' has shape [{string.Join(", ", dims)}]; config needs [batch, {input.Columns}] with a dynamic batch dimension");
            }
        }

        if (!session.OutputMetadata.TryGetValue(spec.OutputName, out var output))
        {
            throw new ModelConfigException(modelPath, $"graph has no output '{spec.OutputName}' (it has: {string.Join(", ", session.OutputMetadata.Keys)})");
        }

        var outDims = output.Dimensions;
        if (!output.IsTensor || output.ElementDataType != TensorElementType.Float
            || outDims.Length is < 1 or > 2 || outDims[0] > 0 || (outDims.Length == 2 && outDims[1] != 1))
        {
            throw new ModelConfigException(modelPath, $"graph output '{spec.OutputName}' must be float32 [batch] or [batch, 1], got {output.ElementDataType} [{string.Join(", ", outDims)}]");
        }

        return new OnnxSignature(outDims.Length);
    }
}
