using Microsoft.Extensions.Options;

namespace Serving.Allocation;

/// <summary>Validates <see cref="AllocatorOptions"/> at start (source-generated from its data annotations and <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>).</summary>
[OptionsValidator]
internal sealed partial class AllocatorOptionsValidator : IValidateOptions<AllocatorOptions>;
