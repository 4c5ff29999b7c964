using System.Buffers;
using Serving.Models;

namespace Serving.Features;

/// <summary>
/// One request's assembled rows: for each model input a row-major [rows, columns] buffer rented
/// from the array pool. Disposing ends the owner's use; the buffers go back to the pool once no
/// reader (<see cref="TryAddReader"/>: a session copying rows) holds them either.
/// </summary>
public sealed class FeatureRows : IDisposable
{
    private readonly IReadOnlyList<InputTensorSpec> _inputs;
    private readonly float[]?[] _float32;
    private readonly long[]?[] _int64;

    /// <summary>The owner's reference plus one per reader; the buffers go back at zero.</summary>
    private int _references = 1;
    private int _ownerReleased;

    private FeatureRows(IReadOnlyList<InputTensorSpec> inputs, int rows)
    {
        _inputs = inputs;
        Rows = rows;
        _float32 = new float[inputs.Count][];
        _int64 = new long[inputs.Count][];
        for (var i = 0; i < inputs.Count; i++)
        {
            var length = rows * inputs[i].Columns;
            if (inputs[i].ElementKind == TensorElementKind.Float32)
            {
                _float32[i] = ArrayPool<float>.Shared.Rent(length);
            }
            else
            {
                _int64[i] = ArrayPool<long>.Shared.Rent(length);
            }
        }
    }

    public int Rows { get; }

    /// <summary>True once the buffers went back to the pool (the owner disposed them and no reader holds them).</summary>
    public bool Returned => Volatile.Read(ref _references) == 0;

    /// <summary>
    /// Holds the buffers for a reader that may outlive the owner's use (a session copying rows of
    /// a batch that was abandoned meanwhile). False when they were already returned: do not read.
    /// Every successful call needs one <see cref="ReleaseReader"/>.
    /// </summary>
    public bool TryAddReader()
    {
        var references = Volatile.Read(ref _references);
        while (references > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, references + 1, references);
            if (seen == references)
            {
                return true;
            }

            references = seen;
        }

        return false;
    }

    /// <summary>Ends a reader's hold; the last one out returns the buffers.</summary>
    public void ReleaseReader()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            ReturnBuffers();
        }
    }

    public IReadOnlyList<InputTensorSpec> Inputs => _inputs;

    public static FeatureRows Rent(IReadOnlyList<InputTensorSpec> inputs, int rows) => new(inputs, rows);

    public Span<float> Float32(int inputIndex) =>
        _float32[inputIndex].AsSpan(0, Rows * _inputs[inputIndex].Columns);

    public Span<long> Int64(int inputIndex) =>
        _int64[inputIndex].AsSpan(0, Rows * _inputs[inputIndex].Columns);

    /// <summary>Copies rows [firstRow, firstRow + rowCount) of one input into <paramref name="destination"/>.</summary>
    public void CopyRows(int inputIndex, int firstRow, int rowCount, Span<float> destination)
    {
        var columns = _inputs[inputIndex].Columns;
        Float32(inputIndex).Slice(firstRow * columns, rowCount * columns).CopyTo(destination);
    }

    /// <inheritdoc cref="CopyRows(int, int, int, Span{float})"/>
    public void CopyRows(int inputIndex, int firstRow, int rowCount, Span<long> destination)
    {
        var columns = _inputs[inputIndex].Columns;
        Int64(inputIndex).Slice(firstRow * columns, rowCount * columns).CopyTo(destination);
    }

    /// <summary>Ends the owner's use (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ownerReleased, 1) == 0)
        {
            ReleaseReader();
        }
    }

    private void ReturnBuffers()
    {
        for (var i = 0; i < _float32.Length; i++)
        {
            if (_float32[i] is { } f)
            {
                ArrayPool<float>.Shared.Return(f);
                _float32[i] = null;
            }

            if (_int64[i] is { } l)
            {
                ArrayPool<long>.Shared.Return(l);
                _int64[i] = null;
            }
        }
    }
}
