using System.Diagnostics;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Serving.IntegrationTests;

/// <summary>
/// Renders the Helm chart with a real helm for every values file and checks what must agree with
/// the server: ports, probe paths, drain timing, labels, and that the autoscaler's metric exists.
/// </summary>
[Collection(SharedServer.Name)]
public partial class HelmChartTests(ServerFixture server)
{
    public static TheoryData<string> ValuesFiles => new(
        new[] { "" }.Concat(Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "helm", "serving", "ci"), "*.yaml").Select(f => Path.GetFileName(f)).Order()));

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void Rendered_manifests_agree_with_the_server(string valuesFile)
    {
        var docs = Render(valuesFile);
        var deployment = Single(docs, "Deployment");
        var service = Assert.Single(docs, d => Str(d, "kind") == "Service" && Str(Map(Map(d, "metadata"), "labels"), "app.kubernetes.io/component") == "server");

        var podSpec = Map(Map(Map(deployment, "spec"), "template"), "spec");
        var container = (YamlMappingNode)Seq(podSpec, "containers").Children[0];
        var ports = Seq(container, "ports").Children.Cast<YamlMappingNode>().ToDictionary(p => Str(p, "name"), p => Str(p, "containerPort"));
        Assert.Equal("8080", ports["http"]);
        Assert.Equal("8081", ports["grpc"]);

        var servicePorts = Seq(Map(service, "spec"), "ports").Children.Cast<YamlMappingNode>().ToDictionary(p => Str(p, "name"), p => p);
        Assert.Equal("http", Str(servicePorts["http"], "targetPort"));
        Assert.Equal("grpc", Str(servicePorts["grpc"], "targetPort"));
        Assert.Equal("kubernetes.io/h2c", Str(servicePorts["grpc"], "appProtocol"));

        Assert.Equal("/healthz", Str(Map(Map(container, "livenessProbe"), "httpGet"), "path"));
        Assert.Equal("/readyz", Str(Map(Map(container, "readinessProbe"), "httpGet"), "path"));
        Assert.Equal("/readyz", Str(Map(Map(container, "startupProbe"), "httpGet"), "path"));

        // Every selector label is on the pods, and the Service selects them.
        var podLabels = Map(Map(Map(Map(deployment, "spec"), "template"), "metadata"), "labels");
        foreach (var (key, value) in Map(Map(Map(deployment, "spec"), "selector"), "matchLabels").Children)
        {
            Assert.Equal(value.ToString(), podLabels.Children[key].ToString());
        }

        foreach (var (key, value) in Map(Map(service, "spec"), "selector").Children)
        {
            Assert.Equal(value.ToString(), podLabels.Children[key].ToString());
        }

        // The pod outlives the drain: grace period > preStop sleep + Serving:Drain:Timeout.
        var env = EnvOf(docs, container);
        var drain = TimeSpan.Parse(env["Serving__Drain__Timeout"], System.Globalization.CultureInfo.InvariantCulture);
        var grace = int.Parse(Str(podSpec, "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace > drain.TotalSeconds, $"grace {grace}s must exceed drain {drain}");
    }

    [Theory]
    [InlineData("values-keda.yaml", "ScaledObject")]
    [InlineData("values-hpa.yaml", "HorizontalPodAutoscaler")]
    public async Task The_autoscaler_queries_a_metric_the_server_exports(string valuesFile, string kind)
    {
        var scaler = Single(Render(valuesFile), kind);
        var names = MetricName().Matches(new YamlStream(new YamlDocument(scaler)).ToText()).Select(m => m.Value).Distinct().ToList();

        Assert.NotEmpty(names);
        var metrics = await server.AdminHttp.GetStringAsync("/metrics");
        foreach (var name in names)
        {
            Assert.Contains($"# TYPE {name} ", metrics, StringComparison.Ordinal);
        }
    }

    private static List<YamlMappingNode> Render(string valuesFile)
    {
        var helm = Run(Path.Combine(RepositoryPaths.Root, "scripts", "fetch-helm.sh"), []).Trim();
        var args = new List<string> { "template", "serving", Path.Combine(RepositoryPaths.Root, "helm", "serving"), "--namespace", "ads" };
        if (valuesFile.Length > 0)
        {
            args.AddRange(["-f", Path.Combine(RepositoryPaths.Root, "helm", "serving", "ci", valuesFile)]);
        }

        var yaml = new YamlStream();
        yaml.Load(new StringReader(Run(helm, args)));
        return yaml.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static string Run(string file, List<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root };
        args.ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {stderr}");
        return stdout.Result;
    }

    private static Dictionary<string, string> EnvOf(List<YamlMappingNode> docs, YamlMappingNode container)
    {
        var env = new Dictionary<string, string>();
        if (container.Children.ContainsKey("env"))
        {
            foreach (var e in Seq(container, "env").Children.Cast<YamlMappingNode>().Where(e => e.Children.ContainsKey("value")))
            {
                env[Str(e, "name")] = Str(e, "value");
            }
        }

        foreach (var config in docs.Where(d => Str(d, "kind") == "ConfigMap" && d.Children.ContainsKey("data")))
        {
            foreach (var (key, value) in Map(config, "data").Children)
            {
                env[key.ToString()] = value.ToString();
            }
        }

        return env;
    }

    private static YamlMappingNode Single(List<YamlMappingNode> docs, string kind) => Assert.Single(docs, d => Str(d, "kind") == kind);

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[key];

    private static YamlSequenceNode Seq(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[key];

    private static string Str(YamlMappingNode node, string key) => node.Children[key].ToString();

    [GeneratedRegex(@"serving_[a-z_]+[a-z]")]
    private static partial Regex MetricName();
}

internal static class YamlText
{
    public static string ToText(this YamlStream stream)
    {
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }
}
