using Serving.Hosting;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddServing(builder.Configuration);

var app = builder.Build();
app.MapServing();
app.Run();
