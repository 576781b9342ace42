{{/* The release's base name: "netdoctor" for `helm install netdoctor`, else "<release>-netdoctor". */}}
{{- define "netdoctor.fullname" -}}
{{- if contains "netdoctor" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-netdoctor" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "netdoctor.agentName" -}}{{ include "netdoctor.fullname" . }}-agent{{- end -}}

{{/* Labels of every object; each adds its selector labels, or the instance alone. */}}
{{- define "netdoctor.labels" -}}
app.kubernetes.io/part-of: netdoctor
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels: stable across upgrades, so they name only the component and the release. */}}
{{- define "netdoctor.agentSelector" -}}
app.kubernetes.io/name: netdoctor-agent
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "netdoctor.serveSelector" -}}
app.kubernetes.io/name: netdoctor-serve
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "netdoctor.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "netdoctor.instance" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
