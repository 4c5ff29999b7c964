using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serving.Allocation;

/// <summary>The allocator controller's loop: one <see cref="AllocatorController.StepAsync"/> every <see cref="AllocatorOptions.Interval"/> on the injected clock.</summary>
internal sealed class AllocatorService(
    AllocatorController controller,
    IOptions<AllocatorOptions> options,
    TimeProvider time,
    ILogger<AllocatorService> logger) : BackgroundService
{
    private PeriodicTimer? _timer;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.Enabled)
        {
            // Started here, not in ExecuteAsync (which runs on the thread pool): the first interval
            // counts from start-up, and a tick that comes before the loop waits is not lost.
            _timer = new PeriodicTimer(o.Interval, time);
            logger.LogInformation("Allocator controller: every {Interval}, latency from {Source}, p99 target {Fraction} of each model's SLO", o.Interval, o.LatencySource, o.TargetFraction);
        }
        else
        {
            logger.LogInformation("Allocator controller disabled (Serving:Allocator:Enabled=false): batching and replica settings stay as configured");
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_timer is null)
        {
            return;
        }

        try
        {
            while (await _timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await controller.StepAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Allocator step failed; the next step runs as planned");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }
}
