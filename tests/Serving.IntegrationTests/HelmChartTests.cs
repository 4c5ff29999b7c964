using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serving.Batching;
using Serving.Hosting;
using YamlDotNet.RepresentationModel;

namespace Serving.IntegrationTests;

/// <summary>
/// Renders the Helm chart with a real helm for every values file and checks what must agree with
/// the server: its four Kestrel listeners and their protocols, what is exposed where (public and
/// admin Services, ServiceMonitor, NetworkPolicy), TLS, the admin token, probes, drain timing,
/// labels, and that the autoscaler's and the alerts' metrics are ones the running server exports.
/// </summary>
[Collection(SharedServer.Name)]
public partial class HelmChartTests(ServerFixture server)
{
    /// <summary>The default set renders with the one value that has no default.</summary>
    private const string DefaultImage = "image.repository=registry.example.com/ads/serving";

    /// <summary>
    /// Metrics the alerts or dashboard may use before the server exports them (none now). Remove a
    /// name once the server exports it.
    /// </summary>
    private static readonly HashSet<string> Announced = [];

    public static TheoryData<string> ValuesFiles => new(
        new[] { "" }.Concat(Directory.GetFiles(ChartPath("ci"), "*.yaml").Select(f => Path.GetFileName(f)).Order()));

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void Rendered_manifests_agree_with_the_server(string valuesFile)
    {
        var docs = Render(valuesFile);
        var deployment = Single(docs, "Deployment");
        var service = PublicService(docs);

        var (podSpec, container, env) = Pod(docs);
        var ports = ContainerPorts(container);

        // The chart's listeners are exactly the server's Kestrel endpoints, with their protocols;
        // the admin ports are the endpoints the server treats as admin listeners.
        var serverEndpoints = ServerEndpoints();
        var rendered = env.Keys.Select(k => KestrelUrl().Match(k)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(serverEndpoints.Keys.Order(), rendered.Order());
        foreach (var (endpoint, (port, protocols)) in serverEndpoints)
        {
            Assert.Equal(protocols, env[$"Kestrel__Endpoints__{endpoint}__Protocols"]);
            if (valuesFile.Length == 0)
            {
                Assert.EndsWith($":{port}", env[$"Kestrel__Endpoints__{endpoint}__Url"], StringComparison.Ordinal);
            }
        }

        var byPort = serverEndpoints.Keys.ToDictionary(e => PortOf(env[$"Kestrel__Endpoints__{e}__Url"]), e => e);
        Assert.Equal(4, byPort.Count);
        Assert.Equal(new[] { "http", "grpc", "admin", "admin-grpc" }, ports.Keys);
        Assert.Equal(new[] { "Http", "Grpc", "Admin", "AdminGrpc" }, ports.Values.Select(p => byPort[p]));
        Assert.Equal(AdminOptions.DefaultEndpoints, new[] { byPort[ports["admin"]], byPort[ports["admin-grpc"]] });

        // The public Service carries the ranking API only.
        var servicePorts = Seq(Map(service, "spec"), "ports").Children.Cast<YamlMappingNode>().ToDictionary(p => Str(p, "name"), p => p);
        Assert.Equal(new[] { "http", "grpc" }, servicePorts.Keys);
        Assert.Equal("http", Str(servicePorts["http"], "targetPort"));
        Assert.Equal("grpc", Str(servicePorts["grpc"], "targetPort"));
        if (env["Kestrel__Endpoints__Grpc__Url"].StartsWith("http://", StringComparison.Ordinal))
        {
            Assert.Equal("kubernetes.io/h2c", Str(servicePorts["grpc"], "appProtocol"));
        }

        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            Assert.Equal("http", Str(Map(Map(container, probe), "httpGet"), "port"));
        }

        Assert.Equal("/healthz", Str(Map(Map(container, "livenessProbe"), "httpGet"), "path"));
        Assert.Equal("/readyz", Str(Map(Map(container, "readinessProbe"), "httpGet"), "path"));
        Assert.Equal("/readyz", Str(Map(Map(container, "startupProbe"), "httpGet"), "path"));

        // The admin token only ever comes from a Secret.
        Assert.DoesNotContain(ConfigData(docs).Keys, k => k.Replace(":", "__", StringComparison.Ordinal).Equals("Serving__Admin__Token", StringComparison.OrdinalIgnoreCase));
        foreach (var e in EnvEntries(container).Where(e => Str(e, "name") == "Serving__Admin__Token"))
        {
            Assert.False(e.Children.ContainsKey("value"));
            Assert.True(Map(e, "valueFrom").Children.ContainsKey("secretKeyRef"));
        }

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
        var drain = TimeSpan.Parse(env["Serving__Drain__Timeout"], CultureInfo.InvariantCulture);
        var grace = int.Parse(Str(podSpec, "terminationGracePeriodSeconds"), CultureInfo.InvariantCulture);
        Assert.True(grace > drain.TotalSeconds, $"grace {grace}s must exceed drain {drain}");
    }

    [Theory]
    [InlineData("values-keda.yaml")]
    [InlineData("values-monitoring.yaml")]
    [InlineData("values-tls.yaml")]
    [InlineData("values-mtls.yaml")]
    public async Task The_service_monitor_scrapes_metrics_on_the_admin_listener(string valuesFile)
    {
        var docs = Render(valuesFile);
        var monitor = Single(docs, "ServiceMonitor");
        var adminService = Assert.Single(docs, d => Str(d, "kind") == "Service" && Component(d) == "admin");
        var (_, container, env) = Pod(docs);

        // It selects the admin Service, never the public one.
        var selector = Map(Map(Map(monitor, "spec"), "selector"), "matchLabels").Children;
        bool Selects(YamlMappingNode svc) => selector.All(kv => Map(Map(svc, "metadata"), "labels").Children.TryGetValue(kv.Key, out var v) && v.ToString() == kv.Value.ToString());
        Assert.True(Selects(adminService));
        Assert.False(Selects(PublicService(docs)));

        // Its port leads to the container port the server's Admin endpoint binds.
        var endpoint = (YamlMappingNode)Seq(Map(monitor, "spec"), "endpoints").Children.Single();
        var servicePort = Seq(Map(adminService, "spec"), "ports").Children.Cast<YamlMappingNode>().Single(p => Str(p, "name") == Str(endpoint, "port"));
        var containerPort = ContainerPorts(container)[Str(servicePort, "targetPort")];
        Assert.Equal(containerPort, PortOf(env["Kestrel__Endpoints__Admin__Url"]));
        Assert.Equal(env["Kestrel__Endpoints__Admin__Url"].Split("://")[0], Str(endpoint, "scheme"));

        // And the server answers that path there, and only there.
        var path = Str(endpoint, "path");
        using var admin = await server.AdminHttp.GetAsync(new Uri(path, UriKind.Relative));
        using var publicPort = await server.Http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, publicPort.StatusCode);
    }

    [Theory]
    [InlineData("", null, null)]
    [InlineData("values-model-sync.yaml", "serving-admin-token", "token")]
    [InlineData("values-shared-volume.yaml", "serving-admin-token", "token")]
    [InlineData("values-mtls.yaml", "serving-admin-token", "token")]
    public void The_admin_token_comes_from_a_secret_key_reference(string valuesFile, string? secret, string? key)
    {
        var docs = Render(valuesFile);
        var (_, container, _) = Pod(docs);
        var token = EnvEntries(container).Where(e => Str(e, "name") == "Serving__Admin__Token").ToList();
        if (secret is null)
        {
            Assert.Empty(token);
            return;
        }

        var reference = Map(Map(Assert.Single(token), "valueFrom"), "secretKeyRef");
        Assert.Equal(secret, Str(reference, "name"));
        Assert.Equal(key, Str(reference, "key"));

        var values = Values(valuesFile);
        if (Get(values, "admin", "token", "create") is "true")
        {
            // The chart's Secret holds a generated token under that key.
            var created = Assert.Single(docs, d => Str(d, "kind") == "Secret");
            Assert.Equal(secret, Str(Map(created, "metadata"), "name"));
            var generated = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Str(Map(created, "data"), key!)));
            Assert.Matches("^[A-Za-z0-9]{48}$", generated);
        }
        else
        {
            Assert.DoesNotContain(docs, d => Str(d, "kind") == "Secret");
        }
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void The_network_policy_admits_the_admin_ports_only_from_the_configured_peers(string valuesFile)
    {
        var docs = Render(valuesFile);
        var values = Values(valuesFile);
        var policies = docs.Where(d => Str(d, "kind") == "NetworkPolicy").ToList();
        if (Get(values, "networkPolicy", "enabled") is not "true")
        {
            Assert.Empty(policies);
            return;
        }

        var rules = Seq(Map(Assert.Single(policies), "spec"), "ingress").Children.Cast<YamlMappingNode>()
            .ToDictionary(r => string.Join(',', Seq(r, "ports").Children.Cast<YamlMappingNode>().Select(p => Str(p, "port"))), r => r);

        // The public rule: exactly the configured peers (any source when none), plus the test pod.
        var publicPeers = AsList(Get(values, "networkPolicy", "public", "from"));
        if (publicPeers.Count > 0 && Get(values, "tests", "enabled") is "true")
        {
            publicPeers.Add(Obj("podSelector", Obj("matchLabels", Obj("app.kubernetes.io/instance", "serving", "app.kubernetes.io/name", "serving-test"))));
        }

        Assert.Equal(Canonical(publicPeers), Canonical(FromOf(rules["http,grpc"])));

        // The admin rule: the labelled pods of the namespace, the monitoring namespace, the extra peers.
        var admin = Get(values, "networkPolicy", "admin");
        var adminPeers = new List<object?>();
        if (AsMap(Get(admin, "podLabels")) is { Count: > 0 } podLabels)
        {
            adminPeers.Add(Obj("podSelector", Obj("matchLabels", podLabels)));
        }

        if (AsMap(Get(admin, "monitoringNamespaceLabels")) is { Count: > 0 } namespaces)
        {
            var peer = Obj("namespaceSelector", Obj("matchLabels", namespaces));
            if (AsMap(Get(admin, "monitoringPodLabels")) is { Count: > 0 } monitoringPods)
            {
                peer["podSelector"] = Obj("matchLabels", monitoringPods);
            }

            adminPeers.Add(peer);
        }

        adminPeers.AddRange(AsList(Get(admin, "from")));
        Assert.NotEmpty(adminPeers);
        Assert.Equal(Canonical(adminPeers), Canonical(FromOf(rules["admin,admin-grpc"])));
        Assert.Equal(new[] { "http,grpc", "admin,admin-grpc" }, rules.Keys);
    }

    [Fact]
    public void Tls_renders_https_listeners_certificate_mounts_and_https_probes()
    {
        var docs = Render("values-tls.yaml");
        var (podSpec, container, env) = Pod(docs);
        var secrets = new Dictionary<string, string> { ["Http"] = "serving-public-tls", ["Grpc"] = "serving-public-tls", ["Admin"] = "serving-admin-tls", ["AdminGrpc"] = "serving-admin-tls" };
        foreach (var (endpoint, secret) in secrets)
        {
            Assert.StartsWith("https://", env[$"Kestrel__Endpoints__{endpoint}__Url"], StringComparison.Ordinal);
            foreach (var (file, key) in new[] { ("Path", "tls.crt"), ("KeyPath", "tls.key") })
            {
                var path = env[$"Kestrel__Endpoints__{endpoint}__Certificate__{file}"];
                Assert.Equal(key, Path.GetFileName(path));
                var (volume, readOnly) = VolumeHolding(podSpec, container, path);
                Assert.True(readOnly, $"{path} is mounted writable");
                Assert.Equal(secret, Str(Map(volume, "secret"), "secretName"));
                Assert.Contains(Seq(Map(volume, "secret"), "items").Children.Cast<YamlMappingNode>(), i => Str(i, "key") == key);
            }
        }

        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            Assert.Equal("HTTPS", Str(Map(Map(container, probe), "httpGet"), "scheme"));
        }

        var grpc = Seq(Map(PublicService(docs), "spec"), "ports").Children.Cast<YamlMappingNode>().Single(p => Str(p, "name") == "grpc");
        Assert.False(grpc.Children.ContainsKey("appProtocol"));
        Assert.Equal("https", Str((YamlMappingNode)Seq(Map(Single(docs, "ServiceMonitor"), "spec"), "endpoints").Children[0], "scheme"));
    }

    [Fact]
    public void Mutual_tls_requires_client_certificates_on_the_admin_listeners_only()
    {
        var docs = Render("values-mtls.yaml");
        var (podSpec, container, env) = Pod(docs);

        Assert.StartsWith("http://", env["Kestrel__Endpoints__Http__Url"], StringComparison.Ordinal);
        Assert.StartsWith("http://", env["Kestrel__Endpoints__Grpc__Url"], StringComparison.Ordinal);
        Assert.False(env.ContainsKey("Kestrel__Endpoints__Http__ClientCertificateMode"));
        Assert.False(env.ContainsKey("Kestrel__Endpoints__Grpc__ClientCertificateMode"));
        foreach (var endpoint in AdminOptions.DefaultEndpoints)
        {
            Assert.StartsWith("https://", env[$"Kestrel__Endpoints__{endpoint}__Url"], StringComparison.Ordinal);
            Assert.Equal("RequireCertificate", env[$"Kestrel__Endpoints__{endpoint}__ClientCertificateMode"]);
        }

        var (volume, readOnly) = VolumeHolding(podSpec, container, env["Serving__Admin__ClientCertificateAuthorityPath"]);
        Assert.True(readOnly);
        Assert.Equal("ads-admin-ca", Str(Map(volume, "configMap"), "name"));
        Assert.False(Map(Map(container, "readinessProbe"), "httpGet").Children.ContainsKey("scheme"));
        var tlsConfig = Map((YamlMappingNode)Seq(Map(Single(docs, "ServiceMonitor"), "spec"), "endpoints").Children[0], "tlsConfig");
        Assert.True(tlsConfig.Children.ContainsKey("cert") && tlsConfig.Children.ContainsKey("keySecret"));
    }

    [Fact]
    public async Task The_alerts_query_metrics_and_labels_the_server_exports()
    {
        var rule = Single(Render("values-monitoring.yaml"), "PrometheusRule");
        var expressions = Seq(Map(rule, "spec"), "groups").Children.Cast<YamlMappingNode>()
            .SelectMany(g => Seq(g, "rules").Children.Cast<YamlMappingNode>()).Select(r => Str(r, "expr")).ToList();
        Assert.Equal(5, expressions.Count);

        // One answered call, so that serving_requests_total has a series to show its labels.
        await server.Client.RankAsync(Requests.Synthetic("criteo-deepfm", 3, seed: 7));
        var metrics = await server.AdminHttp.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var names = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Distinct().ToList();
        Assert.Contains("serving_slo_headroom_ratio", names);
        Assert.Contains("serving_circuit_state", names);
        foreach (var name in names.Where(n => !Announced.Contains(n)))
        {
            Assert.Contains($"# TYPE {name} ", metrics, StringComparison.Ordinal);
        }

        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("serving_requests_total{", StringComparison.Ordinal) && l.Contains("reason=\"", StringComparison.Ordinal));

        // The refused-share alert counts reasons the server uses.
        var known = typeof(RejectionReasons).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        var reasons = expressions.SelectMany(e => ReasonMatcher().Matches(e)).SelectMany(m => m.Groups[1].Value.Split('|')).ToList();
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.Contains(r, known));
    }

    [Fact]
    public async Task The_dashboard_in_the_chart_queries_metrics_the_server_exports()
    {
        var config = Assert.Single(Render("values-monitoring.yaml"), d => Str(d, "kind") == "ConfigMap" && Map(d, "data").Children.ContainsKey("serving-dashboard.json"));
        Assert.Equal("1", Str(Map(Map(config, "metadata"), "labels"), "grafana_dashboard"));
        var json = Str(Map(config, "data"), "serving-dashboard.json");
        Assert.Equal(JsonNode.Parse(File.ReadAllText(ChartPath("dashboards", "serving-dashboard.json")))!.ToJsonString(), JsonNode.Parse(json)!.ToJsonString());

        var metrics = await server.AdminHttp.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var names = MetricName().Matches(json).Select(m => m.Value).Distinct().ToList();
        Assert.NotEmpty(names);
        foreach (var name in names)
        {
            // A histogram's series (…_bucket, …_sum, …_count) belong to the family's TYPE line.
            var family = HistogramSeries().Replace(name, "");
            Assert.True(
                metrics.Contains($"# TYPE {name} ", StringComparison.Ordinal) || metrics.Contains($"# TYPE {family} histogram", StringComparison.Ordinal),
                $"the dashboard queries {name}, which the server does not export");
        }
    }

    [Theory]
    [InlineData("values-keda.yaml", "ScaledObject")]
    [InlineData("values-hpa.yaml", "HorizontalPodAutoscaler")]
    public async Task The_autoscaler_queries_a_metric_the_server_exports(string valuesFile, string kind)
    {
        var scaler = Single(Render(valuesFile), kind);
        var names = MetricName().Matches(new YamlStream(new YamlDocument(scaler)).ToText()).Select(m => m.Value).Distinct().ToList();

        Assert.NotEmpty(names);
        var metrics = await server.AdminHttp.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        foreach (var name in names)
        {
            Assert.Contains($"# TYPE {name} ", metrics, StringComparison.Ordinal);
        }
    }

    private static string ChartPath(params string[] parts) => Path.Combine([RepositoryPaths.Root, "helm", "serving", .. parts]);

    private static List<YamlMappingNode> Render(string valuesFile)
    {
        var helm = Run(Path.Combine(RepositoryPaths.Root, "scripts", "fetch-helm.sh"), []).Trim();
        var args = new List<string> { "template", "serving", ChartPath(), "--namespace", "ads" };
        args.AddRange(valuesFile.Length > 0 ? ["-f", ChartPath("ci", valuesFile)] : ["--set", DefaultImage]);

        var yaml = new YamlStream();
        yaml.Load(new StringReader(Run(helm, args)));
        return yaml.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static string Run(string file, List<string> args) => ExternalProcess.Run(file, args);

    /// <summary>The server's own Kestrel endpoints (src/Serving.Host/appsettings.json): name → (port, protocols).</summary>
    private static Dictionary<string, (int Port, string Protocols)> ServerEndpoints()
    {
        var endpoints = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "src", "Serving.Host", "appsettings.json")))!["Kestrel"]!["Endpoints"]!.AsObject();
        return endpoints.ToDictionary(e => e.Key, e => (PortOf((string)e.Value!["Url"]!), (string)e.Value!["Protocols"]!));
    }

    private static int PortOf(string url) => int.Parse(url[(url.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    /// <summary>The chart's values.yaml with the values file merged over it, as plain maps, lists and strings.</summary>
    private static Dictionary<string, object?> Values(string valuesFile)
    {
        var values = (Dictionary<string, object?>)Plain(LoadYaml(ChartPath("values.yaml")))!;
        if (valuesFile.Length > 0)
        {
            Merge(values, (Dictionary<string, object?>)Plain(LoadYaml(ChartPath("ci", valuesFile)))!);
        }

        return values;
    }

    private static YamlNode LoadYaml(string path)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        return yaml.Documents[0].RootNode;
    }

    private static void Merge(Dictionary<string, object?> into, Dictionary<string, object?> over)
    {
        foreach (var (key, value) in over)
        {
            if (value is Dictionary<string, object?> map && into.GetValueOrDefault(key) is Dictionary<string, object?> existing)
            {
                Merge(existing, map);
            }
            else
            {
                into[key] = value;
            }
        }
    }

    private static object? Plain(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(kv => kv.Key.ToString(), kv => Plain(kv.Value)),
        YamlSequenceNode seq => seq.Children.Select(Plain).ToList(),
        YamlScalarNode { Value: "null" or "~" or "" } scalar when scalar.Style == YamlDotNet.Core.ScalarStyle.Plain => null,
        YamlScalarNode scalar => scalar.Value,
        _ => null,
    };

    private static object? Get(object? node, params string[] path) =>
        path.Aggregate(node, (n, key) => n is Dictionary<string, object?> map ? map.GetValueOrDefault(key) : null);

    private static List<object?> AsList(object? node) => node is List<object?> list ? [.. list] : [];

    private static Dictionary<string, object?>? AsMap(object? node) => node as Dictionary<string, object?>;

    private static Dictionary<string, object?> Obj(params object?[] pairs) =>
        Enumerable.Range(0, pairs.Length / 2).ToDictionary(i => (string)pairs[2 * i]!, i => pairs[(2 * i) + 1]);

    private static List<object?> FromOf(YamlMappingNode rule) =>
        rule.Children.ContainsKey("from") ? (List<object?>)Plain(rule.Children["from"])! : [];

    /// <summary>A canonical JSON text (keys sorted) to compare plain structures.</summary>
    private static string Canonical(object? node) => JsonSerializer.Serialize(Sorted(node));

    private static object? Sorted(object? node) => node switch
    {
        Dictionary<string, object?> map => new SortedDictionary<string, object?>(map.ToDictionary(kv => kv.Key, kv => Sorted(kv.Value)), StringComparer.Ordinal),
        List<object?> list => list.Select(Sorted).ToList(),
        _ => node,
    };

    private static YamlMappingNode PublicService(List<YamlMappingNode> docs) =>
        Assert.Single(docs, d => Str(d, "kind") == "Service" && Component(d) == "server");

    private static string? Component(YamlMappingNode doc) =>
        Map(Map(doc, "metadata"), "labels").Children.TryGetValue("app.kubernetes.io/component", out var c) ? c.ToString() : null;

    /// <summary>The Deployment's pod spec, its server container, and the container's environment.</summary>
    private static (YamlMappingNode PodSpec, YamlMappingNode Container, Dictionary<string, string> Env) Pod(List<YamlMappingNode> docs)
    {
        var podSpec = Map(Map(Map(Single(docs, "Deployment"), "spec"), "template"), "spec");
        var container = ServingContainer(podSpec);
        return (podSpec, container, EnvOf(docs, container));
    }

    private static YamlMappingNode ServingContainer(YamlMappingNode podSpec) =>
        Seq(podSpec, "containers").Children.Cast<YamlMappingNode>().Single(c => Str(c, "name") == "serving");

    private static Dictionary<string, int> ContainerPorts(YamlMappingNode container) =>
        Seq(container, "ports").Children.Cast<YamlMappingNode>().ToDictionary(p => Str(p, "name"), p => int.Parse(Str(p, "containerPort"), CultureInfo.InvariantCulture));

    private static IEnumerable<YamlMappingNode> EnvEntries(YamlMappingNode container) =>
        container.Children.ContainsKey("env") ? Seq(container, "env").Children.Cast<YamlMappingNode>() : [];

    /// <summary>The volume a file path lies on in the container, and whether that mount is read-only.</summary>
    private static (YamlMappingNode Volume, bool ReadOnly) VolumeHolding(YamlMappingNode podSpec, YamlMappingNode container, string path)
    {
        var mount = Seq(container, "volumeMounts").Children.Cast<YamlMappingNode>()
            .Single(m => path.StartsWith(Str(m, "mountPath").TrimEnd('/') + "/", StringComparison.Ordinal));
        var volume = Seq(podSpec, "volumes").Children.Cast<YamlMappingNode>().Single(v => Str(v, "name") == Str(mount, "name"));
        return (volume, mount.Children.TryGetValue("readOnly", out var ro) && ro.ToString() == "true");
    }

    private static Dictionary<string, string> ConfigData(List<YamlMappingNode> docs) =>
        docs.Where(d => Str(d, "kind") == "ConfigMap" && d.Children.ContainsKey("data"))
            .SelectMany(d => Map(d, "data").Children).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString());

    private static Dictionary<string, string> EnvOf(List<YamlMappingNode> docs, YamlMappingNode container)
    {
        var env = ConfigData(docs);
        foreach (var e in EnvEntries(container).Where(e => e.Children.ContainsKey("value")))
        {
            env[Str(e, "name")] = Str(e, "value");
        }

        return env;
    }

    private static YamlMappingNode Single(List<YamlMappingNode> docs, string kind) => Assert.Single(docs, d => Str(d, "kind") == kind);

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[key];

    private static YamlSequenceNode Seq(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[key];

    private static string Str(YamlMappingNode node, string key) => node.Children[key].ToString();

    [GeneratedRegex(@"serving_[a-z_]+[a-z]")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^Kestrel__Endpoints__([A-Za-z]+)__Url$")]
    private static partial Regex KestrelUrl();

    [GeneratedRegex("reason=~\"([a-z_|]+)\"")]
    private static partial Regex ReasonMatcher();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();
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
