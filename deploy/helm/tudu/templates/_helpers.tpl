{{/* Chart name, overridable. */}}
{{- define "tudu.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name; the release name alone when it already contains the chart's. */}}
{{- define "tudu.fullname" -}}
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

{{- define "tudu.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tudu.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tudu
{{- end }}

{{/* Selector labels of the server pods; the migration Job's pods carry another component. */}}
{{- define "tudu.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tudu.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/* The Service's own labels, which the ServiceMonitor selects it by. */}}
{{- define "tudu.serviceLabels" -}}
app.kubernetes.io/name: {{ include "tudu.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "tudu.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "tudu.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tudu.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tudu.secretName" -}}
{{- required "existingSecret must name a Secret with BETTER_AUTH_SECRET and DATABASE_URL (see values.yaml)" .Values.existingSecret }}
{{- end }}

{{/*
The non-secret environment as a map: the chart's fixed listen address plus every non-empty
entry of .Values.config.
*/}}
{{- define "tudu.config" -}}
HOST: "0.0.0.0"
PORT: "8000"
{{- range $key, $value := .Values.config }}
{{- if and (ne $key "HOST") (ne $key "PORT") (not (kindIs "invalid" $value)) (ne (toString $value) "") }}
{{ $key }}: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The pod's grace period covers the preStop pause plus the server's own shutdown bound (its
default when config leaves it unset); a shorter one has the kubelet kill requests the server
would have finished.
*/}}
{{- define "tudu.checkGracePeriod" -}}
{{- $shutdown := .Values.config.TUDU_SHUTDOWN_TIMEOUT_SECS | default 25 | toString | atoi }}
{{- $needed := add (int .Values.preStopSleepSeconds) $shutdown }}
{{- if le (int .Values.terminationGracePeriodSeconds) $needed }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds + config.TUDU_SHUTDOWN_TIMEOUT_SECS (%d)" (int .Values.terminationGracePeriodSeconds) $needed) }}
{{- end }}
{{- end }}
