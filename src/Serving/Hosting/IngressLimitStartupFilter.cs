using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Serving.Api;

namespace Serving.Hosting;

/// <summary>Puts the ingress limit first in the pipeline, ahead of routing and gRPC, so a refusal costs as little as possible.</summary>
internal sealed class IngressLimitStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<IngressLimitMiddleware>();
        next(app);
    };
}
