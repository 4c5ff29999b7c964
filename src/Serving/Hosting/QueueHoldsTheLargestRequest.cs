using Microsoft.Extensions.Options;
using Serving.Api;
using Serving.Batching;

namespace Serving.Hosting;

/// <summary>A rule across two components: the batch queue must hold the largest request the API accepts, or that request is refused for ever.</summary>
internal sealed class QueueHoldsTheLargestRequest(IOptions<ApiOptions> api) : IValidateOptions<BatchingOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchingOptions options)
    {
        int largest;
        try
        {
            largest = api.Value.MaxCandidatesPerRequest;
        }
        catch (OptionsValidationException)
        {
            return ValidateOptionsResult.Skip; // the API's own validation reports its problems
        }

        return options.MaxQueuedRows >= largest
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{BatchingOptions.SectionName}:MaxQueuedRows ({options.MaxQueuedRows}) must be >= {ApiOptions.SectionName}:MaxCandidatesPerRequest ({largest})");
    }
}
