using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Contracts.Ranking.V1;
using Serving.Models;
using Serving.Registry;

namespace Serving.Hosting;

/// <summary>
/// Once the server listens and the models are loaded, sends one REST and one gRPC Rank call per
/// model (<see cref="WarmUpRequest"/>: two candidates with a sparse and a dense column, a context
/// column) to each of the server's own addresses (over loopback), then reports <see cref="Done"/>, which /readyz waits for. Calls an endpoint does
/// not speak (REST to the HTTP/2-only port, gRPC to the HTTP/1.1 one) fail at once and are
/// ignored; so is any other failure: the warm-up never keeps the server from turning ready. The
/// calls are counted in the request metrics like any other.
/// </summary>
internal sealed partial class RequestPathWarmUp(
    IServer server, ModelRegistry registry, IHostApplicationLifetime lifetime, IOptions<RequestPathWarmUpOptions> options, ILogger<RequestPathWarmUp> logger)
    : BackgroundService
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private volatile bool _done = !options.Value.WarmUpRequestPath;

    /// <summary>True once the warm-up calls have been made (or when it is turned off).</summary>
    public bool Done => _done;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_done)
        {
            return;
        }

        try
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            }

            await registry.WhenReady.WaitAsync(stoppingToken).ConfigureAwait(false);
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var calls = 0;
            foreach (var address in addresses.Select(Loopback))
            {
                foreach (var model in registry.Models)
                {
                    if (model.Default is not { } live)
                    {
                        continue; // nothing of it serves
                    }

                    var request = WarmUpRequest(live.Spec);
                    calls += await TryRestAsync(address, request, stoppingToken).ConfigureAwait(false) ? 1 : 0;
                    calls += await TryGrpcAsync(address, request, stoppingToken).ConfigureAwait(false) ? 1 : 0;
                }
            }

            LogWarmedUp(logger, calls);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _done = true;
        }
    }

    /// <summary>A listening address as a loopback URL (a wildcard host becomes 127.0.0.1).</summary>
    internal static Uri Loopback(string address)
    {
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost")
        {
            uri.Host = "127.0.0.1";
        }

        return uri.Uri;
    }

    /// <summary>
    /// Two candidates with the model's first sparse and first dense feature (one value missing
    /// each), and its last dense feature as context: the parse, transcoding and assembly paths a
    /// real call takes.
    /// </summary>
    internal static RankRequest WarmUpRequest(ModelSpec spec)
    {
        var request = new RankRequest { Model = spec.Name, RequestId = "warm-up", CandidateCount = 2, Candidates = new Contracts.Ranking.V1.Features(), Context = new Contracts.Ranking.V1.Features() };
        if (spec.Features.FirstOrDefault(f => f.Kind == Models.FeatureKind.Sparse) is { } sparse)
        {
            request.Candidates.Sparse.Add(new SparseColumn { Name = sparse.Name, Values = { "warm-up", "" } });
        }

        var dense = spec.Features.Where(f => f.Kind == Models.FeatureKind.Dense).ToList();
        if (dense.Count > 0)
        {
            request.Candidates.Dense.Add(new DenseColumn { Name = dense[0].Name, Values = { 1f, float.NaN } });
        }

        if (dense.Count > 1)
        {
            request.Context.Dense.Add(new DenseColumn { Name = dense[^1].Name, Values = { 2f } });
        }

        return request;
    }

    private static async Task<bool> TryRestAsync(Uri address, RankRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CallTimeout);
            using var client = new HttpClient { BaseAddress = address, DefaultRequestVersion = HttpVersion.Version11 };
            var json = request.Clone();
            json.Model = ""; // in the path
            using var body = new StringContent(JsonFormatter.Default.Format(json), Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri($"/v1/models/{Uri.EscapeDataString(request.Model)}:rank", UriKind.Relative), body, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<bool> TryGrpcAsync(Uri address, RankRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var channel = GrpcChannel.ForAddress(address);
            var client = new RankingService.RankingServiceClient(channel);
            await client.RankAsync(request, deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode is not StatusCode.Unavailable and not StatusCode.Internal and not StatusCode.Cancelled)
        {
            return true; // answered (e.g. DEADLINE_EXCEEDED on a cold path): the path ran
        }
        catch (RpcException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request path warmed up: {Calls} Rank calls got a response")]
    private static partial void LogWarmedUp(ILogger logger, int calls);
}
