using Serving.Models;

namespace Serving.Features;

/// <summary>Dense value encoding: substitute the default for a missing (NaN) value, then transform.</summary>
public static class DenseTransforms
{
    public static float Encode(float value, DenseTransform transform, double defaultValue)
    {
        double x = float.IsNaN(value) ? defaultValue : value;
        return transform switch
        {
            DenseTransform.Log1p => (float)double.LogP1(Math.Max(x, 0)),
            _ => (float)x,
        };
    }
}
