using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Admission;

namespace Serving.Hosting;

/// <summary>
/// On shutdown (SIGTERM), before the web server stops: readiness turns false, new calls are
/// refused with UNAVAILABLE, and calls in flight get up to the drain timeout to finish.
/// </summary>
internal sealed class DrainService(AdmissionGate gate, IOptions<AdmissionOptions> options, TimeProvider time, ILogger<DrainService> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.Drain.Timeout;
        logger.LogInformation("Draining: {InFlight} calls in flight, waiting up to {Timeout}", gate.InFlight, timeout);
        var drained = gate.BeginDrain();
        try
        {
            await drained.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Drained: no call in flight");
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Drain timeout {Timeout} reached with {InFlight} calls still in flight", timeout, gate.InFlight);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
