using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serving.Admission;
using Serving.Contracts.Inference.V2;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Registry;
using Serving.Telemetry;

namespace Serving.Api.OpenInference;

/// <summary>
/// The Open Inference Protocol (v2) over HTTP/JSON: <c>/v2</c>, <c>/v2/health/live|ready</c>,
/// <c>/v2/models/{m}[/versions/{v}]</c> (metadata), <c>…/ready</c> and <c>…/infer</c>. An infer
/// call becomes the same <see cref="ModelInferRequest"/> the gRPC service takes and passes the same
/// admission gate; errors are <c>{"error": "…"}</c> with the HTTP status of the gRPC one (400, 404,
/// 429 and 503 with <c>Retry-After</c>, 504).
/// </summary>
internal static class InferenceRestEndpoints
{
    private const string InferMethod = "/v2/infer";

    public static RouteGroupBuilder MapOpenInferenceRest(this IEndpointRouteBuilder endpoints)
    {
        var v2 = endpoints.MapGroup("/v2");
        v2.MapGet("", () => Results.Json(new { name = InferenceGrpcService.ServerName, version = InferenceGrpcService.ServerVersion, extensions = Array.Empty<string>() }));
        v2.MapGet("/health/live", () => Results.Json(new { live = true }));
        v2.MapGet("/health/ready", async (HealthCheckService health, CancellationToken ct) =>
            await InferenceGrpcService.IsReadyAsync(health, ct).ConfigureAwait(false) ? Results.Json(new { ready = true }) : Results.Json(new { ready = false }, statusCode: 400));
        v2.MapGet("/models/{model}", (string model, ModelRegistry registry) => Metadata(registry, model, ""));
        v2.MapGet("/models/{model}/versions/{version}", (string model, string version, ModelRegistry registry) => Metadata(registry, model, version));
        v2.MapGet("/models/{model}/ready", (string model, ModelRegistry registry) => Ready(registry, model, ""));
        v2.MapGet("/models/{model}/versions/{version}/ready", (string model, string version, ModelRegistry registry) => Ready(registry, model, version));
        v2.MapPost("/models/{model}/infer", (string model, HttpContext http) => InferAsync(http, model, ""));
        v2.MapPost("/models/{model}/versions/{version}/infer", (string model, string version, HttpContext http) => InferAsync(http, model, version));
        return v2;
    }

    private static IResult Ready(ModelRegistry registry, string model, string version) =>
        registry.Find(model)?.Find(version) is not null ? Results.Json(new { name = model, ready = true }) : Results.Json(new { name = model, ready = false }, statusCode: 400);

    private static IResult Metadata(ModelRegistry registry, string model, string version)
    {
        try
        {
            var m = InferenceGrpcService.Metadata(registry, model, version);
            return Results.Json(new
            {
                name = m.Name,
                versions = m.Versions,
                platform = m.Platform,
                inputs = m.Inputs.Select(i => new { name = i.Name, datatype = i.Datatype, shape = i.Shape }),
                outputs = m.Outputs.Select(o => new { name = o.Name, datatype = o.Datatype, shape = o.Shape }),
            });
        }
        catch (RpcException ex)
        {
            return Error(ex);
        }
    }

    private static async Task<IResult> InferAsync(HttpContext http, string model, string version)
    {
        var services = http.RequestServices;
        var registry = services.GetRequiredService<ModelRegistry>();
        var metrics = services.GetRequiredService<ServingMetrics>();
        var status = StatusCode.OK;
        var reason = "";
        try
        {
            ModelInferRequest request;
            try
            {
                using var body = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted).ConfigureAwait(false);
                request = Parse(body.RootElement, model, version);
            }
            catch (JsonException ex)
            {
                throw RpcErrors.InvalidArgument("body", $"is not valid JSON ({ex.Message})");
            }

            var rank = InferenceGrpcService.ToRankRequest(registry, request);
            var gate = services.GetRequiredService<AdmissionGate>();
            var ticket = gate.TryEnter(rank.Priority);
            if (!ticket.IsAdmitted)
            {
                throw AdmissionInterceptor.Refused(metrics, registry, model, ticket);
            }

            try
            {
                var ranking = services.GetRequiredService<RankingGrpcService>();
                var response = await ranking.RankFromWire(WireRankRequest.From(rank), new HttpCallContext(http, InferMethod)).ConfigureAwait(false);
                return Results.Json(new
                {
                    model_name = response.Model,
                    model_version = response.Version,
                    id = request.Id,
                    outputs = new[] { new { name = InferRequestMapping.OutputName, datatype = InferRequestMapping.OutputDatatype, shape = new[] { response.Scores.Count }, data = response.Scores } },
                });
            }
            finally
            {
                gate.Leave(ticket);
            }
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
            reason = RequestMetricsInterceptor.ReasonOf(ex);
            return Error(ex);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            status = StatusCode.Cancelled;
            reason = "cancelled";
            return Results.Empty;
        }
        finally
        {
            RequestMetricsInterceptor.Count(metrics, registry, model, version, status, reason);
        }
    }

    /// <summary>The protocol's JSON request as the gRPC message (typed contents); problems name the field.</summary>
    internal static ModelInferRequest Parse(JsonElement root, string model, string version)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw RpcErrors.InvalidArgument("body", "must be a JSON object with \"inputs\"");
        }

        var request = new ModelInferRequest { ModelName = model, ModelVersion = version };
        if (root.TryGetProperty("id", out var id))
        {
            request.Id = id.ValueKind == JsonValueKind.String ? id.GetString()! : throw RpcErrors.InvalidArgument("id", "must be a string");
        }

        if (root.TryGetProperty("parameters", out var parameters))
        {
            AddParameters(parameters, "parameters", request.Parameters);
        }

        if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            throw RpcErrors.InvalidArgument("inputs", "are required: an array with one tensor per feature");
        }

        var index = 0;
        foreach (var input in inputs.EnumerateArray())
        {
            request.Inputs.Add(Tensor(input, $"inputs[{index++}]"));
        }

        if (root.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Array)
        {
            index = 0;
            foreach (var output in outputs.EnumerateArray())
            {
                var name = output.ValueKind == JsonValueKind.Object && output.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                    ? n.GetString()!
                    : throw RpcErrors.InvalidArgument($"outputs[{index}].name", "is required");
                request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = name });
                index++;
            }
        }

        return request;
    }

    private static ModelInferRequest.Types.InferInputTensor Tensor(JsonElement input, string field)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            throw RpcErrors.InvalidArgument(field, "must be an object with name, shape, datatype and data");
        }

        var name = String(input, "name", field);
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = String(input, "datatype", field) };
        field = $"{field} ({ClientText.Quote(name)})";
        if (!input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            throw RpcErrors.InvalidArgument(field + ".shape", "is required: an array of dimensions");
        }

        foreach (var dimension in shape.EnumerateArray())
        {
            tensor.Shape.Add(dimension.ValueKind == JsonValueKind.Number && dimension.TryGetInt64(out var d) ? d : throw RpcErrors.InvalidArgument(field + ".shape", "must hold whole numbers"));
        }

        if (!input.TryGetProperty("data", out var data))
        {
            throw RpcErrors.InvalidArgument(field + ".data", "is required");
        }

        var contents = new InferTensorContents();
        foreach (var element in Flatten(data))
        {
            switch (tensor.Datatype)
            {
                case "BYTES" when element.ValueKind == JsonValueKind.String:
                    contents.BytesContents.Add(ByteString.CopyFromUtf8(element.GetString()!));
                    break;
                case "INT64" when element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var l):
                    contents.Int64Contents.Add(l);
                    break;
                case "FP32" or "FP64":
                    contents.Fp32Contents.Add(Float(element, field));
                    break;
                case "BYTES" or "INT64":
                    throw RpcErrors.InvalidArgument(field + ".data", $"holds {element.ValueKind.ToString().ToLowerInvariant()}s, not {(tensor.Datatype == "BYTES" ? "strings" : "whole numbers")}");
                default:
                    throw RpcErrors.InvalidArgument(field + ".datatype", $"is {ClientText.Quote(tensor.Datatype)}: BYTES, INT64, FP32 or FP64");
            }
        }

        tensor.Datatype = tensor.Datatype == "FP64" ? "FP32" : tensor.Datatype; // read as FP32 above
        tensor.Contents = contents;
        return tensor;
    }

    /// <summary>A numeric element; JSON has no NaN, so a missing value may be sent as the string "NaN" (or null).</summary>
    private static float Float(JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.Number => element.GetSingle(),
        JsonValueKind.Null => float.NaN,
        JsonValueKind.String when float.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw RpcErrors.InvalidArgument(field + ".data", "holds an element that is not a number"),
    };

    /// <summary>The elements of a flat or nested (row-major) JSON array.</summary>
    private static IEnumerable<JsonElement> Flatten(JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            yield return data;
            yield break;
        }

        foreach (var element in data.EnumerateArray())
        {
            foreach (var inner in Flatten(element))
            {
                yield return inner;
            }
        }
    }

    private static string String(JsonElement element, string property, string field) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw RpcErrors.InvalidArgument($"{field}.{property}", "is required (a string)");

    private static void AddParameters(JsonElement parameters, string field, Google.Protobuf.Collections.MapField<string, InferParameter> target)
    {
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            throw RpcErrors.InvalidArgument(field, "must be an object");
        }

        foreach (var p in parameters.EnumerateObject())
        {
            target[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.True or JsonValueKind.False => new InferParameter { BoolParam = p.Value.GetBoolean() },
                JsonValueKind.Number when p.Value.TryGetInt64(out var l) => new InferParameter { Int64Param = l },
                JsonValueKind.Number => new InferParameter { DoubleParam = p.Value.GetDouble() },
                JsonValueKind.String => new InferParameter { StringParam = p.Value.GetString()! },
                _ => throw RpcErrors.InvalidArgument($"{field}['{p.Name}']", "must be a boolean, number or string"),
            };
        }
    }

    /// <summary>The protocol's error body, with the HTTP status of the gRPC one and <c>Retry-After</c> on refusals.</summary>
    private static IResult Error(RpcException ex)
    {
        var http = ex.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
            StatusCode.NotFound => 404,
            StatusCode.ResourceExhausted => 429,
            StatusCode.Unavailable => 503,
            StatusCode.DeadlineExceeded => 504,
            StatusCode.Cancelled => 499,
            _ => 500,
        };
        var violation = ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.FirstOrDefault();
        var message = violation is null ? ex.Status.Detail : $"{violation.Field}: {violation.Description}";
        var result = Results.Json(new { error = message }, statusCode: http);
        return http is 429 or 503 && RetryAfter.Seconds(ex) is { } seconds ? new WithRetryAfter(result, seconds) : result;
    }

    private sealed class WithRetryAfter(IResult inner, long seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
