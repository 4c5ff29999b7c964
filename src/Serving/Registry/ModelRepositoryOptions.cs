using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Serving.Models;

namespace Serving.Registry;

/// <summary>Where the served models come from and how their versions come and go (<c>Serving:ModelRepositoryPath</c>, <c>Serving:Models</c>).</summary>
public sealed class ModelRepositoryOptions
{
    public const string SectionName = "Serving";

    /// <summary>The model repository folder; a relative path is resolved against the current directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ModelRepositoryPath { get; set; } = "models";

    [ValidateObjectMembers]
    public ModelLifecycleOptions Models { get; set; } = new();
}

/// <summary>How the server follows the repository while it runs (<c>Serving:Models</c>).</summary>
public sealed class ModelLifecycleOptions
{
    /// <summary>How often the repository is scanned for added, changed and removed models and versions; zero turns polling off (the control API still works).</summary>
    [SettingRange(ModelRepositoryOptions.SectionName, "00:00:00", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop start-up when any model fails to load (strict); by default the others serve and readiness names the failures.</summary>
    public bool FailFast { get; set; }

    /// <summary>Most shadow calls (mirrored traffic) in flight at once; beyond it, and whenever the server is busy, mirrored calls are shed first.</summary>
    [SettingRange(ModelRepositoryOptions.SectionName, 0, 1024)]
    public int ShadowMaxInFlight { get; set; } = 2;

    /// <summary>Most session replicas all loaded versions may hold together; a load beyond it is refused with the reason. 0: no limit.</summary>
    [SettingRange(ModelRepositoryOptions.SectionName, 0, 100_000)]
    public int MaxSessions { get; set; }

    /// <summary>
    /// Most bytes of model weights all loaded sessions may hold together, estimated as each
    /// version's model.onnx size times its sessions; a load beyond it is refused with the reason. 0: no limit.
    /// </summary>
    [SettingRange(ModelRepositoryOptions.SectionName, 0.0, 1e18)]
    public long MaxModelBytes { get; set; }
}

/// <summary>Checks <see cref="ModelRepositoryOptions"/> (generated from its annotations).</summary>
[OptionsValidator]
public sealed partial class ModelRepositoryOptionsValidator : IValidateOptions<ModelRepositoryOptions>;
