using Serving.Features;
using Serving.Models;

namespace Serving.Tests.Features;

public class DenseTransformsTests
{
    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(1f, 0.6931472f)]
    [InlineData(99f, 4.6051702f)]
    [InlineData(-5f, 0f)]
    public void Log1p_clamps_negatives_to_zero(float x, float expected)
    {
        Assert.Equal(expected, DenseTransforms.Encode(x, DenseTransform.Log1p, 0), 6);
    }

    [Fact]
    public void Missing_value_takes_the_default_before_the_transform()
    {
        Assert.Equal(MathF.Log(1 + 3f), DenseTransforms.Encode(float.NaN, DenseTransform.Log1p, 3), 6);
        Assert.Equal(-1.5f, DenseTransforms.Encode(float.NaN, DenseTransform.Identity, -1.5));
    }

    [Fact]
    public void Identity_keeps_the_value()
    {
        Assert.Equal(-2.25f, DenseTransforms.Encode(-2.25f, DenseTransform.Identity, 0));
    }
}
