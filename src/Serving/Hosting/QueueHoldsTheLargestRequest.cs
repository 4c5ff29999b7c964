using Microsoft.Extensions.Options;
using Serving.Api;
using Serving.Batching;

namespace Serving.Hosting;

/// <summary>A rule across two components: the batch queue must hold the largest request the API accepts, or that request is refused for ever.</summary>
internal sealed class QueueHoldsTheLargestRequest(IOptions<ApiOptions> api) : IValidateOptions<BatchingOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchingOptions options) =>
        options.MaxQueuedRows >= api.Value.MaxCandidatesPerRequest
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Serving:Batching:MaxQueuedRows ({options.MaxQueuedRows}) must be >= Serving:MaxCandidatesPerRequest ({api.Value.MaxCandidatesPerRequest})");
}
