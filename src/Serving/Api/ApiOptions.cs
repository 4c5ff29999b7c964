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

    /// <summary>
    /// Largest request message accepted, in bytes (gRPC message and REST body). 4 MiB: three times
    /// the largest realistic request (4,096 candidates of the shipped models with 8-character
    /// values: 1.28 MB), so ten such calls at once add ~130 MiB, not the ~0.5 GiB of 16 MiB calls.
    /// </summary>
    [SettingRange(SectionName, 1024, int.MaxValue)]
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;
}

/// <summary>Checks <see cref="ApiOptions"/> (generated from its annotations; reports every problem at once).</summary>
[OptionsValidator]
public sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>;
