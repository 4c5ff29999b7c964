using Grpc.Core;
using Serving.Contracts.Admin.V1;
using Serving.Contracts.Ranking.V1;
using Serving.Registry;

namespace Serving.Api;

/// <summary>
/// The model control API (admin listener only, bearer token required): load and unload versions,
/// set labels, the traffic split and the shadow, rescan the repository. Each call hands over to
/// <see cref="ModelLifecycle"/> and answers with the model as it serves afterwards.
/// </summary>
internal sealed class ModelControlGrpcService(ModelLifecycle lifecycle, ModelRegistry registry, AdminToken token)
    : ModelControlService.ModelControlServiceBase
{
    public override Task<Contracts.Admin.V1.ListModelsResponse> ListModels(Contracts.Admin.V1.ListModelsRequest request, ServerCallContext context)
    {
        token.Demand(context);
        return Task.FromResult(ListAll(registry.Models));
    }

    public override Task<ModelInfo> LoadVersion(LoadVersionRequest request, ServerCallContext context) =>
        RunAsync(context, () => lifecycle.LoadVersionAsync(Required(request.Model, "model"), Required(request.Version, "version"), context.CancellationToken));

    public override Task<ModelInfo> UnloadVersion(UnloadVersionRequest request, ServerCallContext context) =>
        RunAsync(context, () => lifecycle.UnloadVersionAsync(Required(request.Model, "model"), request.Version, context.CancellationToken));

    public override Task<ModelInfo> SetLabels(SetLabelsRequest request, ServerCallContext context) =>
        RunAsync(context, () => lifecycle.SetLabelsAsync(Required(request.Model, "model"), request.Labels, context.CancellationToken));

    public override Task<ModelInfo> SetTraffic(SetTrafficRequest request, ServerCallContext context) =>
        RunAsync(context, () => lifecycle.SetTrafficAsync(Required(request.Model, "model"), request.Weights, context.CancellationToken));

    public override Task<ModelInfo> SetShadow(SetShadowRequest request, ServerCallContext context) =>
        RunAsync(context, () => lifecycle.SetShadowAsync(Required(request.Model, "model"), request.Version, request.Fraction, context.CancellationToken));

    public override async Task<Contracts.Admin.V1.ListModelsResponse> Refresh(RefreshRequest request, ServerCallContext context)
    {
        token.Demand(context);
        try
        {
            return ListAll(await lifecycle.RefreshAsync(context.CancellationToken).ConfigureAwait(false));
        }
        catch (ModelControlException ex)
        {
            throw ToRpc(ex);
        }
    }

    private async Task<ModelInfo> RunAsync(ServerCallContext context, Func<Task<ServedModel>> command)
    {
        token.Demand(context);
        try
        {
            var model = await command().ConfigureAwait(false);
            return ModelInfoMapper.ToInfo(model, model.Default);
        }
        catch (ModelControlException ex)
        {
            throw ToRpc(ex);
        }
    }

    private static Contracts.Admin.V1.ListModelsResponse ListAll(IEnumerable<ServedModel> models)
    {
        var response = new Contracts.Admin.V1.ListModelsResponse();
        foreach (var model in models.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            response.Models.Add(ModelInfoMapper.ToInfo(model, model.Default));
        }

        return response;
    }

    private static string Required(string value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw RpcErrors.InvalidArgument(field, "is required") : value;

    private static RpcException ToRpc(ModelControlException ex) => ex.Error switch
    {
        ControlError.NotFound => RpcErrors.NotFound(RpcErrors.Reasons.ModelNotFound, ex.Message),
        ControlError.InvalidArgument => InvalidArgument(ex.Message),
        _ => RpcErrors.FailedPrecondition(ex.Message),
    };

    /// <summary>An invalid-argument message starts with its field ("weights.a: must be >= 0, got -1").</summary>
    private static RpcException InvalidArgument(string message)
    {
        var colon = message.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0
            ? RpcErrors.InvalidArgument(message[..colon], message[(colon + 2)..])
            : RpcErrors.InvalidArgument("request", message);
    }
}
