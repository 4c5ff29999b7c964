using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Serving.Batching;
using Serving.Models;

namespace Serving.Execution;

/// <summary>
/// One ONNX Runtime session and the pinned-by-OrtValue buffers it reads and writes: a batch's
/// slices are copied into the input buffers, the graph runs, and scores are scattered back.
/// Not thread-safe: one batch at a time.
/// </summary>
public sealed class SessionReplica : IReplica
{
    private readonly InferenceSession _session;
    private readonly IReadOnlyList<InputTensorSpec> _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float[]?[] _float32;
    private readonly long[]?[] _int64;
    private readonly float[] _scores;
    private readonly bool _outputHasColumn;
    private readonly RunOptions _runOptions = new();

    public SessionReplica(InferenceSession session, ModelSpec spec, OnnxSignature signature, int maxBatchRows, string device)
    {
        _session = session;
        _inputs = spec.Inputs;
        MaxBatchRows = maxBatchRows;
        Device = device;
        _inputNames = spec.Inputs.Select(i => i.Name).ToArray();
        _outputNames = [spec.OutputName];
        _outputHasColumn = signature.OutputRank == 2;
        _float32 = new float[_inputs.Count][];
        _int64 = new long[_inputs.Count][];
        for (var i = 0; i < _inputs.Count; i++)
        {
            var length = maxBatchRows * _inputs[i].Columns;
            if (_inputs[i].ElementKind == TensorElementKind.Float32)
            {
                _float32[i] = new float[length];
            }
            else
            {
                _int64[i] = new long[length];
            }
        }

        _scores = new float[maxBatchRows];
    }

    public int MaxBatchRows { get; }

    public string Device { get; }

    public void Execute(IReadOnlyList<RowSlice> slices, Func<bool>? mayScatter = null)
    {
        var rows = Load(slices);
        Run(rows);
        if (mayScatter is not null && !mayScatter())
        {
            return;
        }

        var offset = 0;
        for (var s = 0; s < slices.Count; s++)
        {
            var slice = slices[s];
            _scores.AsSpan(offset, slice.RowCount).CopyTo(slice.Scores.Span);
            offset += slice.RowCount;
        }
    }

    /// <summary>Copies the slices' rows, one after another, into the input buffers; returns the rows copied.</summary>
    public int Load(IReadOnlyList<RowSlice> slices)
    {
        var rows = 0;
        for (var s = 0; s < slices.Count; s++)
        {
            var slice = slices[s];
            if (rows + slice.RowCount > MaxBatchRows)
            {
                throw new ArgumentException($"batch exceeds {MaxBatchRows} rows", nameof(slices));
            }

            for (var i = 0; i < _inputs.Count; i++)
            {
                var columns = _inputs[i].Columns;
                if (_float32[i] is { } f)
                {
                    slice.Source.CopyRows(i, slice.FirstRow, slice.RowCount, f.AsSpan(rows * columns, slice.RowCount * columns));
                }
                else
                {
                    slice.Source.CopyRows(i, slice.FirstRow, slice.RowCount, _int64[i].AsSpan(rows * columns, slice.RowCount * columns));
                }
            }

            rows += slice.RowCount;
        }

        return rows;
    }

    /// <summary>Runs the graph on the first <paramref name="rows"/> rows already in the input buffers (warm-up uses zeros).</summary>
    public void Run(int rows)
    {
        var inputValues = ArrayPool<OrtValue>.Shared.Rent(_inputs.Count);
        OrtValue? output = null;
        try
        {
            for (var i = 0; i < _inputs.Count; i++)
            {
                long[] shape = [rows, _inputs[i].Columns];
                var length = rows * _inputs[i].Columns;
                inputValues[i] = _float32[i] is { } f
                    ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, f.AsMemory(0, length), shape)
                    : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _int64[i].AsMemory(0, length), shape);
            }

            long[] outputShape = _outputHasColumn ? [rows, 1] : [rows];
            output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _scores.AsMemory(0, rows), outputShape);
            _runOptions.Terminate = false; // a terminate asked of the previous run must not stop this one
            _session.Run(_runOptions, _inputNames, new ArraySegment<OrtValue>(inputValues, 0, _inputs.Count), _outputNames, [output]);
        }
        finally
        {
            for (var i = 0; i < _inputs.Count; i++)
            {
                inputValues[i]?.Dispose();
                inputValues[i] = null!;
            }

            ArrayPool<OrtValue>.Shared.Return(inputValues);
            output?.Dispose();
        }
    }

    /// <summary>Sets ONNX Runtime's terminate flag: the run going now stops at its next node and throws.</summary>
    public void Terminate() => _runOptions.Terminate = true;

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
