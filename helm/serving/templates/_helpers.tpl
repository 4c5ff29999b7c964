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
Standard labels on every object.
*/}}
{{- define "serving.labels" -}}
helm.sh/chart: {{ include "serving.chart" . }}
{{ include "serving.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: serving
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
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.gpu.enabled }}
{{- $tag = printf "%s%s" $tag .Values.image.cudaTagSuffix }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
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
