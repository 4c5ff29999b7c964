using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serving.Api;
using Serving.Models;
using Serving.Telemetry;

namespace Serving.Hosting;

/// <summary>Registers the engine: <c>services.AddServing(configuration)</c>.</summary>
public static class ServingServiceCollectionExtensions
{
    public static ServingBuilder AddServing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ServingOptions>()
            .Bind(configuration.GetSection(ServingOptions.SectionName))
            .Validate(o => o.MaxCandidatesPerRequest >= 1, "Serving:MaxCandidatesPerRequest must be >= 1")
            .Validate(o => o.MaxInFlightRequests >= 0, "Serving:MaxInFlightRequests must be >= 0 (0: no limit)")
            .Validate(o => o.MinInFlightRequests >= 1, "Serving:MinInFlightRequests must be >= 1")
            .Validate(o => o.IngressLatencyTarget is null || o.IngressLatencyTarget > TimeSpan.Zero, "Serving:IngressLatencyTarget must be > 0")
            .Validate(o => o.IngressQueueDelayTarget > TimeSpan.Zero, "Serving:IngressQueueDelayTarget must be > 0")
            .Validate(o => o.Batching.MaxBatchRows >= 1, "Serving:Batching:MaxBatchRows must be >= 1")
            .Validate(o => o.Batching.TargetBatchRows >= 1 && o.Batching.TargetBatchRows <= o.Batching.MaxBatchRows, "Serving:Batching:TargetBatchRows must be in [1, MaxBatchRows]")
            .Validate(o => o.Batching.MaxQueuedRows >= o.MaxCandidatesPerRequest, "Serving:Batching:MaxQueuedRows must be >= Serving:MaxCandidatesPerRequest")
            .Validate(o => o.Devices.Cpu.Replicas >= 1, "Serving:Devices:Cpu:Replicas must be >= 1")
            .Validate(o => o.Devices.Cpu.IntraOpThreads >= 1, "Serving:Devices:Cpu:IntraOpThreads must be >= 1")
            .Validate(o => o.Devices.Gpu.ReplicasPerDevice >= 1 && o.Devices.Gpu.DeviceIds.Length >= 1, "Serving:Devices:Gpu needs ReplicasPerDevice >= 1 and at least one DeviceIds entry")
            .Validate(o => o.Devices.Gpu.Chaos.FaultRate is >= 0 and <= 1 && o.Devices.Gpu.Chaos.LatencyRate is >= 0 and <= 1, "Serving:Devices:Gpu:Chaos rates must be in [0, 1]")
            .Validate(o => o.Devices.Gpu.Resilience.FailureRatio is > 0 and <= 1 && o.Devices.Gpu.Resilience.MinimumThroughput >= 2, "Serving:Devices:Gpu:Resilience needs FailureRatio in (0, 1] and MinimumThroughput >= 2")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ServingMetrics>();
        services.TryAddSingleton<ModelRepository>();
        services.TryAddSingleton<Execution.GpuAvailability>();
        services.TryAddSingleton<DrainState>();
        services.AddOptions<DrainOptions>()
            .Bind(configuration.GetSection($"{ServingOptions.SectionName}:Drain"))
            .Validate(o => o.Timeout >= TimeSpan.Zero, "Serving:Drain:Timeout must be >= 0");
        services.AddHostedService<ModelRepositoryLoader>();
        services.TryAddSingleton<RequestPathWarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<RequestPathWarmUp>());
        services.AddHostedService<DrainService>();
        services.AddAllocator(configuration);

        // The host must not cut the drain short: give it the drain timeout and a margin to stop.
        services.AddOptions<HostOptions>().Configure<IOptions<DrainOptions>>((host, drain) =>
            host.ShutdownTimeout = drain.Value.Timeout + TimeSpan.FromSeconds(5) > host.ShutdownTimeout
                ? drain.Value.Timeout + TimeSpan.FromSeconds(5)
                : host.ShutdownTimeout);

        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, KestrelLimitsSetup>();
        services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, IngressLimitStartupFilter>();
        services.TryAddSingleton<ThreadPoolQueueDelay>();
        services.AddGrpc(o =>
            {
                o.Interceptors.Add<RequestMetricsInterceptor>();
            })
            .AddJsonTranscoding();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<RankingGrpcService>, WireRankMethod.Provider>());
        services.AddSingleton<IConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>, GrpcLimitsSetup>();
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks()
            .AddCheck<ReadinessHealthCheck>("ready", tags: [ReadinessHealthCheck.Tag]);
        return new ServingBuilder(services);
    }

    private sealed class KestrelLimitsSetup(IOptions<ServingOptions> serving) : IConfigureOptions<KestrelServerOptions>
    {
        /// <summary>HTTP/2 receive windows: a 1,024-candidate request is ~0.4 MB, and Kestrel's defaults
        /// (96 KB per stream, 128 KB per connection) make the client wait for window updates several
        /// times per request. Raised only where Kestrel:Limits:Http2 left Kestrel's default.</summary>
        public const int StreamWindowBytes = 2 * 1024 * 1024;
        public const int ConnectionWindowBytes = 4 * 1024 * 1024;

        public void Configure(KestrelServerOptions options)
        {
            options.Limits.MaxRequestBodySize = serving.Value.MaxRequestBytes;
            var http2 = options.Limits.Http2;
            var defaults = new Http2Limits();
            if (http2.InitialStreamWindowSize == defaults.InitialStreamWindowSize)
            {
                http2.InitialStreamWindowSize = StreamWindowBytes;
            }

            if (http2.InitialConnectionWindowSize == defaults.InitialConnectionWindowSize)
            {
                http2.InitialConnectionWindowSize = ConnectionWindowBytes;
            }
        }
    }

    private sealed class GrpcLimitsSetup(IOptions<ServingOptions> serving) : IConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>
    {
        public void Configure(Grpc.AspNetCore.Server.GrpcServiceOptions options) => options.MaxReceiveMessageSize = serving.Value.MaxRequestBytes;
    }
}

/// <summary>Further configuration of the engine, returned by <c>AddServing</c>.</summary>
public sealed class ServingBuilder(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>Serves the model repository at <paramref name="path"/>, overriding <c>Serving:ModelRepositoryPath</c>.</summary>
    public ServingBuilder LoadModelsFrom(string path)
    {
        Services.PostConfigure<ServingOptions>(o => o.ModelRepositoryPath = path);
        return this;
    }
}
