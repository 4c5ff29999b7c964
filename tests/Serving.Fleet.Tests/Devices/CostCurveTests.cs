using Serving.Fleet.Devices;
using Serving.Fleet.Scenarios;

namespace Serving.Fleet.Tests.Devices;

public class CostCurveTests
{
    [Fact]
    public void Interpolates_between_measured_sizes_and_extends_the_last_segment()
    {
        var curve = new CostCurve([(1, 0.01), (128, 0.12), (1024, 0.90)]);

        Assert.Equal(0.01, curve.Ms(1), 9);
        Assert.Equal(0.12, curve.Ms(128), 9);
        Assert.Equal(0.12 + ((0.90 - 0.12) * (576 - 128) / 896.0), curve.Ms(576), 9);
        Assert.Equal(0.90 + ((0.90 - 0.12) * 896 / 896.0), curve.Ms(1920), 9);
    }

    [Fact]
    public void Gpu_parameter_set_is_launch_overhead_plus_cost_per_row()
    {
        var gpu = CostCurve.Linear(fixedMs: 0.35, perRowMs: 0.0004);

        Assert.Equal(0.35 + (256 * 0.0004), gpu.Ms(256), 9);
    }

    [Fact]
    public void Shipped_cpu_curves_are_read_from_the_data_files()
    {
        var cpu = PodProfiles.Cpu();

        Assert.Equal(0.8882, cpu.Curves["criteo-deepfm"].Ms(1024), 4); // the raw ONNX Runtime run's 1,024-row mean
        Assert.True(cpu.Curves["avazu-dcn"].Ms(512) > cpu.Curves["avazu-dcn"].Ms(64));
    }

    [Fact]
    public void Request_cost_is_the_fitted_fixed_part_plus_a_part_per_row()
    {
        // The fit of scripts/request-cpu-fit.sh on 2026-11-30 (was 115 + 2.24 per row, fitted to an older server).
        Assert.Equal(191.9 + (1.805 * 165), RequestCpuCost.Measured.For(165).TotalMicroseconds, 1);
        Assert.Equal(191.9 / 4, RequestCpuCost.Measured.RefusalCost.TotalMicroseconds, 1);
    }
}
