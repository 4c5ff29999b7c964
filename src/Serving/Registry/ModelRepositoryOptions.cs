using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Serving.Registry;

/// <summary>Where the served models come from (keys directly under <c>Serving</c>).</summary>
public sealed class ModelRepositoryOptions
{
    public const string SectionName = "Serving";

    /// <summary>The model repository folder; a relative path is resolved against the current directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ModelRepositoryPath { get; set; } = "models";
}

/// <summary>Checks <see cref="ModelRepositoryOptions"/> (generated from its annotations).</summary>
[OptionsValidator]
public sealed partial class ModelRepositoryOptionsValidator : IValidateOptions<ModelRepositoryOptions>;
