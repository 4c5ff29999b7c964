using Grpc.Core;
using Microsoft.Extensions.Options;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Models;
using Serving.Registry;
using Serving.Telemetry;

namespace Serving.Api;

/// <summary>
/// The ranking API over gRPC (and REST, by JSON transcoding): translates wire messages to the
/// engine and back. gRPC Rank arrives as wire bytes (<see cref="WireRankMethod"/>); REST arrives
/// parsed and is serialized once so both take one path.
/// </summary>
internal sealed class RankingGrpcService(
    ModelRegistry registry,
    ServingMetrics metrics,
    IOptions<ApiOptions> options,
    TimeProvider time) : RankingService.RankingServiceBase
{
    public override Task<RankResponse> Rank(RankRequest request, ServerCallContext context) =>
        RankFromWire(WireRankRequest.From(request), context);

    /// <summary>
    /// gRPC Rank (<see cref="WireRankMethod"/>); disposes <paramref name="request"/>. Not an overload
    /// of <c>Rank</c>: JSON transcoding looks the method up by name.
    /// </summary>
    public async Task<RankResponse> RankFromWire(WireRankRequest request, ServerCallContext context)
    {
        using var owned = request;
        var started = time.GetTimestamp();
        if (request.Problem is { } problem)
        {
            throw RpcErrors.InvalidArgument(problem.Field, problem.Problem);
        }

        var version = Resolve(request.Model, request.Version);
        if (!Enum.IsDefined(request.Priority))
        {
            throw RpcErrors.InvalidArgument("priority", $"unknown priority {(int)request.Priority}");
        }

        var deadline = RequestDeadline.Compute(time.GetUtcNow(), context.Deadline, request.BudgetMs, version.Spec.SloP99);
        var rows = Assemble(version.Spec, request); // the scheduler owns them from here: it returns them once no session reads them
        var candidates = rows.Rows;
        request.Dispose(); // the wire bytes are not needed once assembled; back to the pool before the wait
        ScoreResult result;
        try
        {
            result = await version.Scheduler.ScoreAsync(rows, deadline, request.Priority, context.CancellationToken).ConfigureAwait(false);
        }
        catch (ScoringRejectedException ex)
        {
            throw RpcErrors.Refused(ex.Reason, ex.Message);
        }
        catch (DeadlineExceededException ex)
        {
            throw RpcErrors.DeadlineExceeded(ex.Message);
        }
        catch (BatchFailedException ex)
        {
            throw RpcErrors.BatchFailed(ex.Message);
        }

        var response = new RankResponse
        {
            Model = version.Spec.Name,
            Version = version.Version,
            RequestId = request.RequestId,
            Timing = new Timing
            {
                Device = result.Device,
                BatchRows = result.BatchRows,
                QueueMs = result.QueueWait.TotalMilliseconds,
                ComputeMs = result.Compute.TotalMilliseconds,
            },
        };
        response.Scores.Add(result.Scores);
        var elapsed = time.GetElapsedTime(started);
        response.Timing.TotalMs = elapsed.TotalMilliseconds;
        metrics.RecordRequest(version.Spec.Name, elapsed, candidates);
        return response;
    }

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse();
        foreach (var model in registry.Models)
        {
            response.Models.Add(ModelInfoMapper.ToInfo(model, model.Default));
        }

        return Task.FromResult(response);
    }

    public override Task<ModelInfo> GetModel(GetModelRequest request, ServerCallContext context)
    {
        var version = Resolve(request.Model, request.Version);
        return Task.FromResult(ModelInfoMapper.ToInfo(registry.Find(version.Spec.Name)!, version));
    }

    private ServedModelVersion Resolve(string model, string version)
    {
        if (model.Length == 0)
        {
            throw RpcErrors.InvalidArgument("model", "is required");
        }

        var served = registry.Find(model)
            ?? throw RpcErrors.NotFound(RpcErrors.Reasons.ModelNotFound, $"model {ClientText.Quote(model)} is not served (GET /v1/models lists the models)");
        return served.Find(version)
            ?? throw RpcErrors.NotFound(RpcErrors.Reasons.VersionNotFound, $"model '{served.Name}' has no version {ClientText.Quote(version)} (served: {string.Join(", ", served.Versions.Select(v => v.Version))})");
    }

    private FeatureRows Assemble(ModelSpec spec, WireRankRequest request)
    {
        try
        {
            return FeatureAssembler.Assemble(spec, request, options.Value.MaxCandidatesPerRequest);
        }
        catch (InvalidRequestException ex)
        {
            throw RpcErrors.InvalidArgument(ex.Field, ex.Problem);
        }
    }
}
