{{/*
Chart name, truncated to the 63 characters a DNS label allows.
*/}}
{{- define "serving.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the release name, prefixed to the chart name unless it already contains it.
*/}}
{{- define "serving.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart label value: name-version.
*/}}
{{- define "serving.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: stable for the life of a release (a Deployment's selector is immutable).
*/}}
{{- define "serving.selectorLabels" -}}
app.kubernetes.io/name: {{ include "serving.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Standard labels on every object, without the component.
*/}}
{{- define "serving.commonLabels" -}}
helm.sh/chart: {{ include "serving.chart" . }}
{{ include "serving.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: serving
{{- end }}

{{/*
Standard labels on every object (component: server).
*/}}
{{- define "serving.labels" -}}
{{ include "serving.commonLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/*
Labels of the admin Service (component: admin), which the ServiceMonitor selects; the public
Service has component: server, so the ServiceMonitor never picks it.
*/}}
{{- define "serving.adminServiceSelectorLabels" -}}
{{ include "serving.selectorLabels" . }}
app.kubernetes.io/component: admin
{{- end }}

{{/*
The admin Service's name.
*/}}
{{- define "serving.adminServiceName" -}}
{{- printf "%s-admin" (include "serving.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The Secret and key the admin token comes from; empty when there is no token.
*/}}
{{- define "serving.adminTokenSecretName" -}}
{{- if .Values.admin.token.existingSecret }}
{{- .Values.admin.token.existingSecret }}
{{- else if .Values.admin.token.create }}
{{- printf "%s-admin-token" (include "serving.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "serving.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "serving.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Server image: repository:tag (or @digest). The CUDA variant appends image.cudaTagSuffix to the
tag when gpu.enabled is true.
*/}}
{{- define "serving.image" -}}
{{- $repository := required "image.repository is required: build the image from the repository's Dockerfile, push it to your registry and set image.repository (e.g. --set image.repository=registry.example.com/ads/serving); no Serving image is published" .Values.image.repository }}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.gpu.enabled }}
{{- $tag = printf "%s%s" $tag .Values.image.cudaTagSuffix }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}
{{- end }}

{{/*
Seconds rendered as a .NET TimeSpan string (hh:mm:ss).
*/}}
{{- define "serving.timespan" -}}
{{- $s := int . }}
{{- printf "%02d:%02d:%02d" (div $s 3600) (mod (div $s 60) 60) (mod $s 60) }}
{{- end }}

{{/*
terminationGracePeriodSeconds: explicit (checked to exceed preStop + drain) or computed.
*/}}
{{- define "serving.terminationGracePeriodSeconds" -}}
{{- $preStop := int .Values.lifecycle.preStopSleepSeconds }}
{{- $drain := int .Values.serving.drain.timeoutSeconds }}
{{- $floor := add $preStop $drain }}
{{- if kindIs "invalid" .Values.lifecycle.terminationGracePeriodSeconds }}
{{- add $floor (int .Values.lifecycle.shutdownMarginSeconds) }}
{{- else }}
{{- $explicit := int .Values.lifecycle.terminationGracePeriodSeconds }}
{{- if le $explicit $floor }}
{{- fail (printf "lifecycle.terminationGracePeriodSeconds (%d) must exceed lifecycle.preStopSleepSeconds + serving.drain.timeoutSeconds (%d): Kubernetes would kill the pod before in-flight requests finish" $explicit $floor) }}
{{- end }}
{{- $explicit }}
{{- end }}
{{- end }}

{{/*
Label matchers (PromQL) that select this release's series.
*/}}
{{- define "serving.promSelector" -}}
{{- if .Values.autoscaling.keda.selector }}
{{- .Values.autoscaling.keda.selector }}
{{- else }}
{{- printf "namespace=%q,app_kubernetes_io_name=%q,app_kubernetes_io_instance=%q" .Release.Namespace (include "serving.name" .) .Release.Name }}
{{- end }}
{{- end }}

{{/*
The autoscaling query: desired pods for the whole release = sum over models of (max or sum over
pods of serving_desired_replicas{model}).
*/}}
{{- define "serving.desiredReplicasQuery" -}}
{{- if .Values.autoscaling.keda.query }}
{{- .Values.autoscaling.keda.query }}
{{- else }}
{{- printf "sum(%s by (model) (serving_desired_replicas{%s}))" .Values.autoscaling.podAggregation (include "serving.promSelector" .) }}
{{- end }}
{{- end }}

{{/*
Model volume name, or empty when the models come from the image.
*/}}
{{- define "serving.modelsVolume" -}}
{{- if ne .Values.models.source "image" }}models{{ end }}
{{- end }}

{{/*
Cross-field checks that the JSON schema cannot express.
*/}}
{{- define "serving.validate" -}}
{{- $ports := list (int .Values.ports.http) (int .Values.ports.grpc) (int .Values.ports.admin) (int .Values.ports.adminGrpc) }}
{{- if ne (len (uniq $ports)) 4 }}
{{- fail (printf "ports.http, ports.grpc, ports.admin and ports.adminGrpc must be four different ports (got %v): each is its own Kestrel endpoint" $ports) }}
{{- end }}
{{- $token := .Values.admin.token }}
{{- if and $token.existingSecret $token.create }}
{{- fail "admin.token: set either existingSecret (your Secret) or create (the chart's Secret), not both" }}
{{- end }}
{{- if and $token.value (not $token.create) }}
{{- fail "admin.token.value is only used with admin.token.create=true (or use admin.token.existingSecret)" }}
{{- end }}
{{- range $key, $_ := .Values.config }}
{{- if eq (lower (replace ":" "__" $key)) "serving__admin__token" }}
{{- fail (printf "config.%s: the admin token must not go into the ConfigMap; use admin.token.existingSecret or admin.token.create" $key) }}
{{- end }}
{{- end }}
{{- range $group := list "public" "admin" }}
{{- $tls := get $.Values.tls $group }}
{{- if and $tls.enabled (not $tls.secretName) }}
{{- fail (printf "tls.%s.enabled needs tls.%s.secretName (a kubernetes.io/tls Secret with tls.crt and tls.key)" $group $group) }}
{{- end }}
{{- end }}
{{- $clientAuth := .Values.tls.admin.clientAuth }}
{{- if $clientAuth.enabled }}
{{- if not .Values.tls.admin.enabled }}
{{- fail "tls.admin.clientAuth.enabled needs tls.admin.enabled: client certificates are only asked for in a TLS handshake" }}
{{- end }}
{{- if ne (len (compact (list $clientAuth.caSecretName $clientAuth.caConfigMapName))) 1 }}
{{- fail "tls.admin.clientAuth needs exactly one of caSecretName and caConfigMapName (the CA that client certificates must chain to)" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (not (and (hasKey .Values.serviceMonitor.tlsConfig "cert") (hasKey .Values.serviceMonitor.tlsConfig "keySecret"))) }}
{{- fail "tls.admin.clientAuth with serviceMonitor.enabled needs serviceMonitor.tlsConfig.cert and .keySecret: Prometheus must present a client certificate on the admin port" }}
{{- end }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (not .Values.adminService.enabled) }}
{{- fail "serviceMonitor.enabled needs adminService.enabled: the ServiceMonitor scrapes /metrics through the admin Service (metrics are served on the admin port only)" }}
{{- end }}
{{- $as := .Values.autoscaling }}
{{- if ne $as.mode "none" }}
{{- if gt (int $as.minReplicas) (int $as.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%d) exceeds autoscaling.maxReplicas (%d)" (int $as.minReplicas) (int $as.maxReplicas)) }}
{{- end }}
{{- if and (eq $as.mode "hpa") (lt (int $as.minReplicas) 1) }}
{{- fail "autoscaling.mode=hpa needs autoscaling.minReplicas >= 1 (scale to zero needs KEDA)" }}
{{- end }}
{{- end }}
{{- if and (eq .Values.serving.allocator.latencySource "Prometheus") (not .Values.serving.allocator.prometheusUrl) }}
{{- fail "serving.allocator.latencySource=Prometheus needs serving.allocator.prometheusUrl" }}
{{- end }}
{{- end }}

{{/*
The server's Kestrel endpoints, as a YAML list: endpoint (the server's name for it), port name,
port, protocols, group (public or admin).
*/}}
{{- define "serving.listeners" -}}
- {endpoint: Http, name: http, port: {{ int .Values.ports.http }}, protocols: Http1, group: public}
- {endpoint: Grpc, name: grpc, port: {{ int .Values.ports.grpc }}, protocols: Http2, group: public}
- {endpoint: Admin, name: admin, port: {{ int .Values.ports.admin }}, protocols: Http1, group: admin}
- {endpoint: AdminGrpc, name: admin-grpc, port: {{ int .Values.ports.adminGrpc }}, protocols: Http2, group: admin}
{{- end }}

{{/*
Where the TLS material is mounted in the server container.
*/}}
{{- define "serving.tlsDir" -}}
/etc/serving/tls
{{- end }}

{{/*
Mode of the mounted TLS files: readable by the pod's fsGroup (the server's group) when one is
set, else by everyone in the container (the Kubernetes default).
*/}}
{{- define "serving.secretFileMode" -}}
{{- if and .Values.podSecurityContext (hasKey .Values.podSecurityContext "fsGroup") }}288{{ else }}292{{ end }}
{{- end }}

{{/*
A model sync container (models.source=sync): the user's image and command, writing into the
models emptyDir. Called with (dict "root" $ "name" <container name> "once" <bool>): once=true is the
init container that fills the repository before the server starts, once=false the sidecar.
*/}}
{{- define "serving.syncContainer" -}}
{{- $sync := .root.Values.models.sync -}}
- name: {{ .name }}
  image: "{{ $sync.image.repository }}:{{ $sync.image.tag }}"
  imagePullPolicy: {{ $sync.image.pullPolicy }}
  command:
    {{- toYaml $sync.command | nindent 4 }}
  {{- with $sync.args }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  env:
    - name: MODEL_REPOSITORY
      value: /mnt/models
    - name: MODEL_STAGING
      value: /mnt/models/.staging
    - name: MODEL_SYNC_ONCE
      value: {{ .once | quote }}
    - name: HOME
      value: /tmp
    {{- with $sync.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $sync.envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .root.Values.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $sync.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: models
      mountPath: /mnt/models
    - name: sync-tmp
      mountPath: /tmp
{{- end }}
