using System.Reflection;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serving.Contracts.Inference.V2;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Models;
using Serving.Registry;

namespace Serving.Api.OpenInference;

/// <summary>
/// The Open Inference Protocol (v2) over gRPC, on the public gRPC listener beside the ranking API:
/// health, metadata and <c>ModelInfer</c>, which is translated to a Rank call
/// (<see cref="InferRequestMapping"/>) and takes the same path (admission gate, batcher, metrics,
/// errors with their details).
/// </summary>
internal sealed class InferenceGrpcService(RankingGrpcService ranking, ModelRegistry registry, HealthCheckService health) : GRPCInferenceService.GRPCInferenceServiceBase
{
    public const string ServerName = "serving";
    public const string Platform = "onnxruntime_onnx";

    /// <summary>The tag of the readiness checks (Hosting's <c>ReadinessHealthCheck.Tag</c>; Api sits below Hosting).</summary>
    public const string ReadinessTag = "ready";

    public static string ServerVersion { get; } =
        typeof(InferenceGrpcService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override async Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        new() { Ready = await IsReadyAsync(health, context.CancellationToken).ConfigureAwait(false) };

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = registry.Find(request.Name)?.Find(request.Version) is not null });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = ServerName, Version = ServerVersion });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(Metadata(registry, request.Name, request.Version));

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var rank = ToRankRequest(registry, request);
        var response = await ranking.RankFromWire(WireRankRequest.From(rank), context).ConfigureAwait(false);
        return InferRequestMapping.ToInferResponse(response, request.Id);
    }

    /// <summary>The call as a Rank request for the version it names; NOT_FOUND, or INVALID_ARGUMENT naming the tensor.</summary>
    internal static Contracts.Ranking.V1.RankRequest ToRankRequest(ModelRegistry registry, ModelInferRequest request)
    {
        var spec = SpecOf(registry, request.ModelName, request.ModelVersion);
        try
        {
            return InferRequestMapping.ToRankRequest(request, spec);
        }
        catch (InvalidRequestException ex)
        {
            throw RpcErrors.InvalidArgument(ex.Field, ex.Problem);
        }
    }

    /// <summary>Ready as <c>/readyz</c> is: models loaded and warmed, not draining.</summary>
    public static async Task<bool> IsReadyAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(c => c.Tags.Contains(ReadinessTag), cancellationToken).ConfigureAwait(false);
        return report.Status == HealthStatus.Healthy;
    }

    /// <summary>The model's tensors: one input per feature, the <c>ctr</c> output; its live versions.</summary>
    public static ModelMetadataResponse Metadata(ModelRegistry registry, string model, string version)
    {
        var spec = SpecOf(registry, model, version);
        var response = new ModelMetadataResponse
        {
            Name = spec.Name,
            Platform = Platform,
            Versions = { registry.Find(model)!.Versions.Select(v => v.Version) },
            Outputs = { new ModelMetadataResponse.Types.TensorMetadata { Name = InferRequestMapping.OutputName, Datatype = InferRequestMapping.OutputDatatype, Shape = { -1 } } },
        };
        foreach (var feature in spec.Features)
        {
            response.Inputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = feature.Name, Datatype = InferRequestMapping.DatatypeOf(feature), Shape = { -1 } });
        }

        return response;
    }

    /// <summary>The spec of the version a call names (or the model's default one), or INVALID_ARGUMENT / NOT_FOUND / UNAVAILABLE.</summary>
    internal static ModelSpec SpecOf(ModelRegistry registry, string model, string version)
    {
        if (model.Length == 0)
        {
            throw RpcErrors.InvalidArgument("model_name", "is required");
        }

        var served = registry.Find(model)
            ?? throw RpcErrors.NotFound(RpcErrors.Reasons.ModelNotFound, $"model {ClientText.Quote(model)} is not served (GET /v2/models/<name> gives a model's metadata; GET /v1/models lists them)");
        var live = version.Length > 0
            ? served.Find(version) ?? throw RpcErrors.NotFound(RpcErrors.Reasons.VersionNotFound, $"model '{served.Name}' has no live version or label {ClientText.Quote(version)}")
            : served.Default ?? throw RpcErrors.Unavailable(RpcErrors.Reasons.NoVersionServing, $"model '{served.Name}' has no version serving now; retry");
        return live.Spec;
    }
}
