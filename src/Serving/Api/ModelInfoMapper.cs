using Serving.Contracts.Ranking.V1;
using Serving.Models;
using Serving.Registry;
using ContractFeatureKind = Serving.Contracts.Ranking.V1.FeatureKind;

namespace Serving.Api;

/// <summary>Describes a served model version on the wire.</summary>
internal static class ModelInfoMapper
{
    public static ModelInfo ToInfo(ServedModel model, ServedModelVersion version)
    {
        var spec = version.Spec;
        var info = new ModelInfo
        {
            Name = model.Name,
            Version = version.Version,
            DefaultVersion = model.Default.Version,
            Output = spec.OutputName,
            SloP99Ms = spec.SloP99.TotalMilliseconds,
            Ready = version.Ready,
            HashSeed = spec.HashSeed,
        };
        info.Versions.Add(model.Versions.Select(v => v.Version));
        foreach (var f in spec.Features)
        {
            info.Features.Add(new FeatureInfo
            {
                Name = f.Name,
                Kind = f.Kind == Models.FeatureKind.Sparse ? ContractFeatureKind.Sparse : ContractFeatureKind.Dense,
                Input = spec.Inputs[f.InputIndex].Name,
                Column = f.Column,
                Hash = f.Kind == Models.FeatureKind.Sparse ? ModelConfigLoader.HashFunction : "",
                Buckets = f.Buckets,
                Transform = f.Kind == Models.FeatureKind.Dense ? f.Transform.ToString().ToLowerInvariant() : "",
                DefaultValue = f.DefaultValue,
            });
        }

        if (spec.Quality is { } q)
        {
            info.Quality = new ModelQuality
            {
                Dataset = q.Dataset ?? "",
                TrainRows = q.TrainRows,
                HoldoutRows = q.HoldoutRows,
                HoldoutAuc = q.HoldoutAuc,
                HoldoutLogloss = q.HoldoutLogloss,
            };
        }

        return info;
    }
}
