using Serving.Allocation;

namespace Serving.Tests.Allocation;

public class ExpositionTextTests
{
    [Fact]
    public void Reads_names_labels_with_escapes_and_special_values()
    {
        const string text = """
            # HELP serving_x_bucket A histogram.
            # TYPE serving_x histogram
            serving_x_bucket{model="a\"b\\c",le="0.005"} 3
            serving_x_bucket{model="a\"b\\c",le="+Inf"} 4 1700000000000
            serving_other 7
            serving_y{model="m"} NaN
            serving_z 1.5e-3
            """;

        var samples = ExpositionText.Parse(text, new HashSet<string> { "serving_x_bucket", "serving_y", "serving_z" });

        Assert.Equal(4, samples.Count);
        Assert.Equal("a\"b\\c", samples[0].Labels["model"]);
        Assert.Equal("0.005", samples[0].Labels["le"]);
        Assert.Equal(3, samples[0].Value);
        Assert.Equal("+Inf", samples[1].Labels["le"]);
        Assert.Equal(4, samples[1].Value);
        Assert.True(double.IsNaN(samples[2].Value));
        Assert.Equal(0.0015, samples[3].Value);
        Assert.Empty(samples[3].Labels);
    }

    [Fact]
    public void Skips_malformed_lines()
    {
        var samples = ExpositionText.Parse("serving_x{model=\"unterminated} 1\nserving_x{model=bare} 2\nserving_x{model=\"ok\"} 3\n", new HashSet<string> { "serving_x" });

        var sample = Assert.Single(samples);
        Assert.Equal(3, sample.Value);
    }
}
