using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serving.Admission;
using Serving.Api;
using Serving.Batching;
using Serving.Execution;
using Serving.Registry;
using Serving.Telemetry;

namespace Serving.Hosting;

/// <summary>Registers the engine: <c>services.AddServing(configuration)</c>. Every component's options are bound and validated here.</summary>
public static class ServingServiceCollectionExtensions
{
    /// <summary>Used as the admission gate's latency target until a model is served.</summary>
    public static readonly TimeSpan FallbackLatencyTarget = TimeSpan.FromMilliseconds(5);

    public static ServingBuilder AddServing(this IServiceCollection services, IConfiguration configuration)
    {
        // One options type per component, each validated from its annotations at start-up: every
        // problem of every component is reported at once.
        services.AddValidatedOptions<ApiOptions, ApiOptionsValidator>(configuration, ApiOptions.SectionName);
        services.AddValidatedOptions<AdmissionOptions, AdmissionOptionsValidator>(configuration, AdmissionOptions.SectionName);
        services.AddValidatedOptions<BatchingOptions, BatchingOptionsValidator>(configuration, BatchingOptions.SectionName);
        services.AddValidatedOptions<DevicesOptions, DevicesOptionsValidator>(configuration, DevicesOptions.SectionName);
        services.AddValidatedOptions<ModelRepositoryOptions, ModelRepositoryOptionsValidator>(configuration, ModelRepositoryOptions.SectionName);
        services.AddOptions<RequestPathWarmUpOptions>().Bind(configuration.GetSection(RequestPathWarmUpOptions.SectionName));
        services.AddValidatedOptions<AdminOptions, AdminOptionsValidator>(configuration, AdminOptions.SectionName);
        services.AddOptions<Api.TransportFloor.BenchmarkOptions>().Bind(configuration.GetSection(Api.TransportFloor.BenchmarkOptions.SectionName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BatchingOptions>, QueueHoldsTheLargestRequest>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ServingMetrics>();
        services.TryAddSingleton<ModelRegistry>();
        services.TryAddSingleton<GpuAvailability>();
        services.TryAddSingleton<ThreadPoolQueueDelay>();
        services.TryAddSingleton(CreateAdmissionGate);
        services.TryAddSingleton<ModelLifecycle>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelLifecycle>());
        services.TryAddSingleton<ShadowMirror>();
        services.TryAddSingleton<RankingGrpcService>(); // stateless; the Open Inference Protocol service scores through it
        services.TryAddSingleton(sp => new AdminToken(sp.GetRequiredService<IOptions<AdminOptions>>().Value.Token));
        services.TryAddSingleton<RequestPathWarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<RequestPathWarmUp>());
        services.AddHostedService<DrainService>();
        services.AddAllocator(configuration);
        services.AddServingTracing(configuration);

        // The host must not cut the drain short: give it the drain timeout and a margin to stop.
        services.AddOptions<HostOptions>().Configure<IOptions<AdmissionOptions>>((host, admission) =>
        {
            var needed = admission.Value.Drain.Timeout + TimeSpan.FromSeconds(5);
            host.ShutdownTimeout = needed > host.ShutdownTimeout ? needed : host.ShutdownTimeout;
        });

        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>, KestrelLimitsSetup>();
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>, AdminConnectionMarking>();
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>, ClientCertificateAuthority>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Routing.MatcherPolicy, ListenerMatcherPolicy>());
        services.AddGrpc(o =>
            {
                // Outermost first: every call is counted (refusals included), then gated.
                o.Interceptors.Add<RequestMetricsInterceptor>();
                o.Interceptors.Add<AdmissionInterceptor>();
            })
            .AddJsonTranscoding(o =>
            {
                // The rich error details (google.rpc.Status) are Any messages: JSON needs their types.
                o.TypeRegistry = Google.Protobuf.Reflection.TypeRegistry.FromMessages(
                    Google.Rpc.ErrorInfo.Descriptor, Google.Rpc.RetryInfo.Descriptor, Google.Rpc.BadRequest.Descriptor);
            });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<RankingGrpcService>, WireRankMethod.Provider>());
        services.TryAddSingleton<Api.TransportFloor.TransportFloorService>(); // mapped only with Serving:Benchmark:TransportFloor
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<Api.TransportFloor.TransportFloorService>, Api.TransportFloor.TransportFloorService.Provider>());
        services.AddSingleton<IConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>, GrpcLimitsSetup>();
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks()
            .AddCheck<ReadinessHealthCheck>("ready", tags: [ReadinessHealthCheck.Tag]);
        return new ServingBuilder(services);
    }

    internal static void AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }

    /// <summary>The gate, its limit fed by the thread pool's queue delay and reported to the metrics.</summary>
    private static AdmissionGate CreateAdmissionGate(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<AdmissionOptions>>().Value;
        var registry = services.GetRequiredService<ModelRegistry>();
        var metrics = services.GetRequiredService<ServingMetrics>();
        Func<TimeSpan>? queueDelay = null;
        if (options.MaxInFlightRequests > 0)
        {
            var canary = services.GetRequiredService<ThreadPoolQueueDelay>();
            canary.Start();
            queueDelay = canary.TakeMean;
        }

        var gate = new AdmissionGate(
            options,
            () => options.IngressLatencyTarget ?? HalfTheSmallestSlo(registry),
            services.GetRequiredService<TimeProvider>(),
            queueDelay,
            limit => metrics.IngressLimit.Set(limit));
        if (options.MaxInFlightRequests > 0)
        {
            metrics.IngressLimit.Set(gate.Limit);
        }

        return gate;
    }

    /// <summary>Half the smallest SLO among the served models: the gate's default latency target.</summary>
    internal static TimeSpan HalfTheSmallestSlo(ModelRegistry registry)
    {
        var smallest = TimeSpan.MaxValue;
        foreach (var model in registry.Models)
        {
            if (model.Default is not { } live)
            {
                continue;
            }

            var slo = live.Spec.SloP99;
            smallest = slo < smallest ? slo : smallest;
        }

        return smallest == TimeSpan.MaxValue ? FallbackLatencyTarget : smallest / 2;
    }
}

/// <summary>Further configuration of the engine, returned by <c>AddServing</c>.</summary>
public sealed class ServingBuilder(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>Serves the model repository at <paramref name="path"/>, overriding <c>Serving:ModelRepositoryPath</c>.</summary>
    public ServingBuilder LoadModelsFrom(string path)
    {
        Services.PostConfigure<ModelRepositoryOptions>(o => o.ModelRepositoryPath = path);
        return this;
    }
}
