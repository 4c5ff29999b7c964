#!/usr/bin/env python3
"""Structural checks of one rendered values set of the Helm chart (scripts/helm-check.sh).

    helm-structure.py RENDERED.yaml NAME

Checks what must agree inside the rendered objects: Kestrel's four endpoints and the container
ports, the Services and their protocols, the probes, TLS mounts, the ServiceMonitor, the admin
token, the NetworkPolicy, model mounts, drain timing, GPU settings and autoscaling. Exits 1 with
the list of problems.
"""
import json
import sys

import yaml

path, name = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
problems = []
kinds = {}
for d in docs:
    for key in ("apiVersion", "kind", "metadata"):
        if key not in d:
            problems.append(f"object without {key}: {d}")
    kinds.setdefault(d.get("kind"), []).append(d)
    labels = d.get("metadata", {}).get("labels", {})
    for label in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                  "app.kubernetes.io/managed-by", "helm.sh/chart"):
        if label not in labels:
            problems.append(f"{d.get('kind')} {d['metadata'].get('name')}: no label {label}")


def one(objs, what):
    if len(objs) != 1:
        problems.append(f"expected one {what}, found {len(objs)}")
        return None
    return objs[0]


def component(obj):
    return obj["metadata"]["labels"].get("app.kubernetes.io/component")


# (Kestrel endpoint, container port name, protocols, listener group): the server's four listeners.
LISTENERS = [("Http", "http", "Http1", "public"), ("Grpc", "grpc", "Http2", "public"),
             ("Admin", "admin", "Http1", "admin"), ("AdminGrpc", "admin-grpc", "Http2", "admin")]

dep = one(kinds.get("Deployment", []), "Deployment")
services = kinds.get("Service", [])
svc = one([s for s in services if component(s) == "server"], "public Service (component: server)")
admin_svcs = [s for s in services if component(s) == "admin"]
admin_svc = admin_svcs[0] if len(admin_svcs) == 1 else None
if len(admin_svcs) > 1:
    problems.append(f"{len(admin_svcs)} admin Services")
cm = None
if dep:
    cm_name = next(s["configMapRef"]["name"] for s in dep["spec"]["template"]["spec"]["containers"][0]["envFrom"]
                   if "configMapRef" in s)
    cm = one([c for c in kinds.get("ConfigMap", []) if c["metadata"]["name"] == cm_name], f"ConfigMap {cm_name}")

if dep and svc and cm:
    pod = dep["spec"]["template"]["spec"]
    main = next(c for c in pod["containers"] if c["name"] == "serving")
    env = cm["data"]
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    mounts = {m["name"]: m for m in main.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    if set(ports) != {l[1] for l in LISTENERS}:
        problems.append(f"container ports {sorted(ports)}: expected http, grpc, admin, admin-grpc")
    if len(set(ports.values())) != len(ports):
        problems.append(f"container ports clash: {ports}")

    def secret_mount_of(file_path):
        """The read-only Secret/ConfigMap volume mount that holds file_path, or None."""
        for m in main.get("volumeMounts", []):
            if file_path.startswith(m["mountPath"].rstrip("/") + "/") and m.get("readOnly"):
                v = volumes.get(m["name"], {})
                if "secret" in v or "configMap" in v:
                    return v
        return None

    scheme = {}
    for endpoint, port_name, protocols, group in LISTENERS:
        key = f"Kestrel__Endpoints__{endpoint}__"
        url = env.get(key + "Url", "")
        scheme[group] = url.split("://")[0]
        if not url.endswith(f":{ports.get(port_name)}") or scheme[group] not in ("http", "https"):
            problems.append(f"{key}Url {url!r} does not bind the {port_name} container port")
        if env.get(key + "Protocols") != protocols:
            problems.append(f"{key}Protocols is {env.get(key + 'Protocols')!r}, expected {protocols}")
        cert, keyfile = env.get(key + "Certificate__Path"), env.get(key + "Certificate__KeyPath")
        if (scheme[group] == "https") != bool(cert and keyfile):
            problems.append(f"{endpoint}: scheme {scheme[group]} with certificate {cert!r} / key {keyfile!r}")
        for f in filter(None, (cert, keyfile)):
            if not secret_mount_of(f):
                problems.append(f"{endpoint}: {f} is not on a read-only Secret mount")
    for group in ("public", "admin"):
        urls = {env.get(f"Kestrel__Endpoints__{e}__Url", "").split("://")[0] for e, _, _, g in LISTENERS if g == group}
        if len(urls) != 1:
            problems.append(f"{group} listeners disagree on the scheme: {urls}")
    mtls = {env.get(f"Kestrel__Endpoints__{e}__ClientCertificateMode") for e in ("Admin", "AdminGrpc")}
    ca = env.get("Serving__Admin__ClientCertificateAuthorityPath")
    if mtls not in ({None}, {"RequireCertificate"}) or (mtls == {"RequireCertificate"}) != bool(ca):
        problems.append(f"admin mTLS half configured: modes {mtls}, CA {ca!r}")
    if ca and not secret_mount_of(ca):
        problems.append(f"client CA {ca} is not on a read-only Secret/ConfigMap mount")
    if ca and scheme["admin"] != "https":
        problems.append("client certificates required on cleartext admin listeners")
    for e, _, _, g in LISTENERS:
        if g == "public" and env.get(f"Kestrel__Endpoints__{e}__ClientCertificateMode"):
            problems.append(f"{e}: client certificates on a public listener")

    # The public Service: the ranking API only, with the protocols that match the listeners.
    sports = {p["name"]: p for p in svc["spec"]["ports"]}
    if set(sports) != {"http", "grpc"} or any(p["targetPort"] != n for n, p in sports.items()):
        problems.append(f"public Service ports {sorted(sports)} (expected http and grpc by name)")
    else:
        want = {"http": "http", "grpc": "kubernetes.io/h2c"} if scheme["public"] == "http" else {"http": "https", "grpc": None}
        got = {n: p.get("appProtocol") for n, p in sports.items()}
        if got != want:
            problems.append(f"public Service appProtocol {got}, expected {want}")
    if svc["spec"]["selector"] != dep["spec"]["selector"]["matchLabels"]:
        problems.append("Service selector differs from the Deployment selector")
    if admin_svc:
        aports = {p["name"]: p for p in admin_svc["spec"]["ports"]}
        if set(aports) != {"admin", "admin-grpc"} or any(p["targetPort"] != n for n, p in aports.items()):
            problems.append(f"admin Service ports {sorted(aports)}")
        if admin_svc["spec"].get("type") != "ClusterIP":
            problems.append("admin Service is not ClusterIP")
        if admin_svc["spec"]["selector"] != dep["spec"]["selector"]["matchLabels"]:
            problems.append("admin Service selector differs from the Deployment selector")

    # Probes: the public http port, HTTPS exactly when the public listeners use TLS.
    for probe, path_ in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/readyz")):
        get = main[probe]["httpGet"]
        if get["path"] != path_ or get["port"] != "http":
            problems.append(f"{probe} is {get['path']} on {get['port']}, expected {path_} on http")
        if get.get("scheme", "HTTP") != scheme["public"].upper():
            problems.append(f"{probe} scheme {get.get('scheme', 'HTTP')} on a {scheme['public']} listener")

    # Prometheus: annotations and the ServiceMonitor point at the admin port.
    ann = dep["spec"]["template"]["metadata"].get("annotations", {})
    if "prometheus.io/port" in ann:
        if ann["prometheus.io/port"] != str(ports["admin"]):
            problems.append(f"prometheus.io/port {ann['prometheus.io/port']} is not the admin port")
        if ann.get("prometheus.io/scheme", "http") != scheme["admin"]:
            problems.append(f"prometheus.io/scheme {ann.get('prometheus.io/scheme', 'http')} on a {scheme['admin']} admin port")
    for sm in kinds.get("ServiceMonitor", []):
        sel = sm["spec"]["selector"]["matchLabels"]
        def selects(s):
            return all(s["metadata"]["labels"].get(k) == v for k, v in sel.items())
        if not admin_svc or not selects(admin_svc) or selects(svc):
            problems.append("the ServiceMonitor does not select exactly the admin Service")
        for ep in sm["spec"]["endpoints"]:
            if ep["port"] != "admin" or ep.get("scheme") != scheme["admin"]:
                problems.append(f"ServiceMonitor endpoint {ep['port']} {ep.get('scheme')}: expected admin {scheme['admin']}")

    # The admin token: a Secret reference, never a plain value, never in the ConfigMap.
    if any(k.lower().replace(":", "__") == "serving__admin__token" for k in env):
        problems.append("the admin token is in the ConfigMap")
    for e in main.get("env", []):
        if e["name"].lower() == "serving__admin__token":
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if "value" in e or not ref:
                problems.append("Serving__Admin__Token is not a secretKeyRef")
            created = [s["metadata"]["name"] for s in kinds.get("Secret", [])]
            if created and ref and ref["name"] not in created:
                problems.append(f"the token refers to {ref['name']}, the chart created {created}")

    # NetworkPolicy: the admin ports only from named peers, never in the public rule.
    for np in kinds.get("NetworkPolicy", []):
        if np["spec"]["podSelector"]["matchLabels"] != dep["spec"]["selector"]["matchLabels"]:
            problems.append("NetworkPolicy does not select the server pods")
        for rule in np["spec"].get("ingress", []):
            names = {p["port"] for p in rule.get("ports", [])}
            if not names:
                problems.append("a NetworkPolicy ingress rule without ports opens every port")
            if names & {"admin", "admin-grpc"}:
                if names & {"http", "grpc"}:
                    problems.append("one NetworkPolicy rule mixes public and admin ports")
                if not rule.get("from"):
                    problems.append("the admin ports admit any source")
                for peer in rule.get("from", []):
                    if peer == {} or peer.get("podSelector") == {} and "namespaceSelector" not in peer:
                        problems.append(f"admin peer {peer} selects every pod")

    # Drain timing: grace period > preStop sleep + drain timeout.
    h, m, s = (int(x) for x in env["Serving__Drain__Timeout"].split(":"))
    drain = h * 3600 + m * 60 + s
    pre = main.get("lifecycle", {}).get("preStop", {})
    sleep = int(pre["exec"]["command"][1]) if "exec" in pre else int(pre.get("sleep", {}).get("seconds", 0))
    grace = pod["terminationGracePeriodSeconds"]
    if grace <= sleep + drain:
        problems.append(f"terminationGracePeriodSeconds {grace} <= preStop {sleep} + drain {drain}")
    # Non-root, read-only root filesystem with a writable /tmp.
    sc = main["securityContext"]
    if not (sc.get("readOnlyRootFilesystem") and (sc.get("runAsNonRoot") or pod.get("securityContext", {}).get("runAsNonRoot"))):
        problems.append("container is not non-root with a read-only root filesystem")
    if "/tmp" not in {m["mountPath"] for m in main["volumeMounts"]}:
        problems.append("no /tmp mount")
    # Models: the server never writes its repository.
    if "models" in mounts and not mounts["models"].get("readOnly"):
        problems.append("the model repository is mounted writable in the server")
    sync = [c for c in pod["containers"] + pod.get("initContainers", []) if c["name"].startswith("model-sync")]
    for c in sync:
        cenv = {e["name"]: e.get("value") for e in c.get("env", [])}
        mount = next((m for m in c["volumeMounts"] if m["name"] == "models"), None)
        if not mount or mount.get("readOnly") or cenv.get("MODEL_REPOSITORY") != mount["mountPath"] \
                or not cenv.get("MODEL_STAGING", "").startswith(mount["mountPath"] + "/"):
            problems.append(f"{c['name']}: MODEL_REPOSITORY/MODEL_STAGING are not on its writable models mount")
    if sync and "emptyDir" not in volumes.get("models", {}):
        problems.append("the sync containers do not share an emptyDir with the server")
    # GPU: a GPU limit iff the CUDA image and GPU enabled in the config, and a rollout without surge.
    gpu = env["Serving__Devices__Gpu__Enabled"] == "true"
    has_limit = "nvidia.com/gpu" in main.get("resources", {}).get("limits", {})
    if gpu != has_limit or gpu != main["image"].endswith("-cuda"):
        problems.append(f"GPU settings disagree: config {gpu}, limit {has_limit}, image {main['image']}")
    if gpu and dep["spec"]["strategy"].get("rollingUpdate", {}).get("maxSurge") != 0:
        problems.append(f"GPU pods roll with a surge: {dep['spec']['strategy']}")
    # Pod anti-affinity selects this release's pods.
    anti = pod.get("affinity", {}).get("podAntiAffinity", {})
    for term in anti.get("requiredDuringSchedulingIgnoredDuringExecution", []) + \
            [t["podAffinityTerm"] for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])]:
        if term["labelSelector"].get("matchLabels") != dep["spec"]["selector"]["matchLabels"]:
            problems.append(f"anti-affinity term {term} does not select the release's pods")
    # The config checksum rolls the pods on a config change.
    if "checksum/config" not in ann:
        problems.append("no checksum/config annotation")
    # Autoscaling: the Deployment leaves replicas to exactly one autoscaler.
    scalers = len(kinds.get("ScaledObject", [])) + len(kinds.get("HorizontalPodAutoscaler", []))
    if scalers > 1 or (scalers == 1) == ("replicas" in dep["spec"]):
        problems.append(f"{scalers} autoscaler(s) with Deployment replicas {dep['spec'].get('replicas')}")
    for so in kinds.get("ScaledObject", []):
        trig = so["spec"]["triggers"][0]
        if trig["type"] != "prometheus" or trig["metricType"] != "AverageValue" \
                or "serving_desired_replicas" not in trig["metadata"]["query"]:
            problems.append(f"ScaledObject trigger: {trig}")
    # Gateway routes reach the public Service on the right port.
    for kind, port_name in (("GRPCRoute", "grpc"), ("HTTPRoute", "http")):
        for route in kinds.get(kind, []):
            if not route["spec"].get("parentRefs"):
                problems.append(f"{kind} without parentRefs")
            for rule in route["spec"]["rules"]:
                for ref in rule["backendRefs"]:
                    if ref["name"] != svc["metadata"]["name"] or ref["port"] != sports[port_name]["port"]:
                        problems.append(f"{kind} backend {ref} is not the Service's {port_name} port")

# Monitoring objects.
for rule in kinds.get("PrometheusRule", []):
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            if not r.get("expr") or not (r.get("alert") or r.get("record")):
                problems.append(f"PrometheusRule rule without expr or name: {r}")
for c in kinds.get("ConfigMap", []):
    if "serving-dashboard.json" in c.get("data", {}):
        try:
            dash = json.loads(c["data"]["serving-dashboard.json"])
            if not dash.get("panels") and not dash.get("rows"):
                problems.append("the dashboard has no panels")
        except ValueError as e:
            problems.append(f"the dashboard ConfigMap is not JSON: {e}")

if problems:
    print(f"{name}: " + "\n  ".join(["structural check failed:"] + problems), file=sys.stderr)
    sys.exit(1)
print(f"{name}: structural check passed ({', '.join(sorted(k for k in kinds if k))})")
