using Serving.Contracts.Ranking.V1;
using Serving.Models;
using Serving.Registry;
using ContractFeatureKind = Serving.Contracts.Ranking.V1.FeatureKind;
using ContractVersionState = Serving.Contracts.Ranking.V1.VersionState;
using ContractVersionStatus = Serving.Contracts.Ranking.V1.VersionStatus;

namespace Serving.Api;

/// <summary>Describes a served model (and one of its versions, when one is live) on the wire.</summary>
internal static class ModelInfoMapper
{
    public static ModelInfo ToInfo(ServedModel model, ServedModelVersion? version)
    {
        var routing = model.Routing;
        var info = new ModelInfo
        {
            Name = model.Name,
            Version = version?.Version ?? "",
            DefaultVersion = model.Default?.Version ?? "",
            Ready = version is not null && !version.Retired,
        };
        info.Versions.Add(model.Versions.Select(v => v.Version));
        foreach (var (label, target) in routing.Labels)
        {
            info.Labels[label] = target;
        }

        foreach (var (target, weight) in routing.Traffic)
        {
            info.Traffic[target] = weight;
        }
        if (routing.Shadow is { } shadow)
        {
            info.Shadow = new ShadowSettings { Version = shadow.Target, Fraction = shadow.Fraction };
        }

        foreach (var status in model.Statuses)
        {
            var entry = new ContractVersionStatus { Version = status.Version, State = ToContract(status.State), Detail = status.Detail };
            entry.Labels.Add(routing.Labels.Where(l => l.Value == status.Version).Select(l => l.Key).Order(StringComparer.Ordinal));
            info.VersionStatus.Add(entry);
        }

        if (version is null)
        {
            return info;
        }

        var spec = version.Spec;
        info.Output = spec.OutputName;
        info.SloP99Ms = spec.SloP99.TotalMilliseconds;
        info.HashSeed = spec.HashSeed;
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

    private static ContractVersionState ToContract(Registry.VersionState state) => state switch
    {
        Registry.VersionState.Loading => ContractVersionState.Loading,
        Registry.VersionState.Available => ContractVersionState.Available,
        Registry.VersionState.Failed => ContractVersionState.Failed,
        Registry.VersionState.Unloading => ContractVersionState.Unloading,
        _ => ContractVersionState.Unspecified,
    };
}
