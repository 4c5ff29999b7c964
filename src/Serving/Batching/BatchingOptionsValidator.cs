using Microsoft.Extensions.Options;

namespace Serving.Batching;

/// <summary>Checks <see cref="BatchingOptions"/> (generated from its annotations; reports every problem at once).</summary>
[OptionsValidator]
public sealed partial class BatchingOptionsValidator : IValidateOptions<BatchingOptions>;
