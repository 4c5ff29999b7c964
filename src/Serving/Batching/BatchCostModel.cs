namespace Serving.Batching;

/// <summary>
/// Predicted compute time of a batch by its rows on one device: a line (fixed cost per batch plus
/// cost per row) fitted by exponentially weighted least squares over measured batches, seeded by
/// the warm-up runs. Thread-safe.
/// </summary>
public sealed class BatchCostModel
{
    private readonly Lock _lock = new();
    private readonly double _decay;
    private double _w, _x, _y, _xx, _xy;
    private double _fixedSeconds = 0.0001;
    private double _perRowSeconds = 0.00001;

    /// <param name="decay">Weight kept by past observations at each new one (0.99 ≈ the last hundred batches).</param>
    public BatchCostModel(double decay = 0.99)
    {
        _decay = decay;
    }

    /// <summary>Observations so far (weighted).</summary>
    public double Weight
    {
        get
        {
            lock (_lock)
            {
                return _w;
            }
        }
    }

    public void Observe(int rows, TimeSpan compute)
    {
        var x = rows;
        var y = compute.TotalSeconds;
        lock (_lock)
        {
            _w = (_w * _decay) + 1;
            _x = (_x * _decay) + x;
            _y = (_y * _decay) + y;
            _xx = (_xx * _decay) + (x * x);
            _xy = (_xy * _decay) + (x * y);
            var variance = (_w * _xx) - (_x * _x);
            if (variance > 1e-9 * _w * _w)
            {
                var slope = ((_w * _xy) - (_x * _y)) / variance;
                var intercept = (_y - (slope * _x)) / _w;
                _perRowSeconds = Math.Max(slope, 1e-9);
                _fixedSeconds = Math.Max(intercept, 0);
            }
            else
            {
                // One batch size so far: attribute the cost to rows, keeping the fixed part.
                _perRowSeconds = Math.Max((_y / _w - _fixedSeconds) / Math.Max(_x / _w, 1), 1e-9);
            }
        }
    }

    public TimeSpan Predict(int rows)
    {
        lock (_lock)
        {
            return TimeSpan.FromSeconds(_fixedSeconds + (_perRowSeconds * Math.Max(rows, 0)));
        }
    }
}
