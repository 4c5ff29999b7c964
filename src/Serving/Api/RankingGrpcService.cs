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
    ShadowMirror shadows,
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

        if (!Enum.IsDefined(request.Priority))
        {
            throw RpcErrors.InvalidArgument("priority", $"unknown priority {(int)request.Priority}");
        }

        var (version, served) = Acquire(request.Model, request.Version, request.RequestId);
        ShadowMirror.ShadowCall? shadow = null;
        try
        {
            var deadline = RequestDeadline.Compute(time.GetUtcNow(), context.Deadline, request.BudgetMs, version.Spec.SloP99);
            shadow = shadows.Begin(served, version, request); // a copy of the bytes, scored once this call has its scores
            FeatureRows rows;
            using (ServingTracing.Source.StartActivity("serving.assemble"))
            {
                rows = Assemble(version.Spec, request); // the scheduler owns them from here: it returns them once no session reads them
            }

            request.Dispose(); // the wire bytes are not needed once assembled; back to the pool before the wait
            var result = await ScoreAsync(version, rows, deadline, request.Priority, context.CancellationToken).ConfigureAwait(false);
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
            version.Metrics.RecordRequest(elapsed, result.Scores);
            shadow?.Start(result.Scores);
            return response;
        }
        finally
        {
            shadow?.Dispose(); // not started (the primary failed): dropped
            version.Release(); // a retiring version is disposed once its last request lets go
        }
    }

    private static async Task<ScoreResult> ScoreAsync(ServedModelVersion version, FeatureRows rows, DateTimeOffset deadline, Priority priority, CancellationToken cancellationToken)
    {
        try
        {
            return await version.Scheduler.ScoreAsync(rows, deadline, priority, cancellationToken).ConfigureAwait(false);
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
        var served = FindModel(request.Model);
        var version = served.Find(request.Version);
        return version is null && request.Version.Length > 0
            ? throw VersionNotFound(served, request.Version)
            : Task.FromResult(ModelInfoMapper.ToInfo(served, version));
    }

    /// <summary>The request's version, leased: by number or label, or by the model's split (sticky per request id); with the snapshot it came from.</summary>
    private (ServedModelVersion Version, ServedModel Model) Acquire(string model, string versionOrLabel, string requestId)
    {
        FindModel(model);
        var resolution = registry.Acquire(model, versionOrLabel, requestId);
        return resolution.Error switch
        {
            ResolveError.None => (resolution.Version!, resolution.Model!),
            ResolveError.VersionNotFound => throw VersionNotFound(resolution.Model!, versionOrLabel),
            ResolveError.NoVersionServing => throw RpcErrors.Unavailable(RpcErrors.Reasons.NoVersionServing, $"model '{model}' has no version serving now ({Describe(resolution.Model)}); retry"),
            _ => throw ModelNotFound(model),
        };
    }

    private ServedModel FindModel(string model)
    {
        if (model.Length == 0)
        {
            throw RpcErrors.InvalidArgument("model", "is required");
        }

        return registry.Find(model) ?? throw ModelNotFound(model);
    }

    private static RpcException ModelNotFound(string model) =>
        RpcErrors.NotFound(RpcErrors.Reasons.ModelNotFound, $"model {ClientText.Quote(model)} is not served (GET /v1/models lists the models)");

    private static RpcException VersionNotFound(ServedModel served, string versionOrLabel) =>
        RpcErrors.NotFound(RpcErrors.Reasons.VersionNotFound, $"model '{served.Name}' has no live version or label {ClientText.Quote(versionOrLabel)} ({Describe(served)})");

    /// <summary>The model's versions and their states, for a message.</summary>
    private static string Describe(ServedModel? served) =>
        served is null || served.Statuses.Count == 0
            ? "no version"
            : string.Join(", ", served.Statuses.Select(s => s.Version.Length == 0 ? $"config: {s.State.ToString().ToLowerInvariant()}" : $"v{s.Version} {s.State.ToString().ToLowerInvariant()}"));

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
