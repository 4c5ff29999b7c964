using System.ComponentModel.DataAnnotations;
using Serving.Models;
using Microsoft.Extensions.Options;

namespace Serving.Api;

/// <summary>Limits of the ranking API on what a request may carry (keys directly under <c>Serving</c>).</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Serving";

    /// <summary>Largest <c>candidate_count</c> accepted in one request.</summary>
    [SettingRange(SectionName, 1, 1_048_576)]
    public int MaxCandidatesPerRequest { get; set; } = 4096;

    /// <summary>Largest request message accepted, in bytes (gRPC message and REST body).</summary>
    [SettingRange(SectionName, 1024, int.MaxValue)]
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;
}

/// <summary>Checks <see cref="ApiOptions"/> (generated from its annotations; reports every problem at once).</summary>
[OptionsValidator]
public sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>;
