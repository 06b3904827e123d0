"""Checks the rules of docs/deploy.md that a schema cannot express, on rendered manifests.

    python deploy/policy.py FILE...   # multi-document YAML; exits 1 listing every violation
    python deploy/policy.py --same-config K8S_CONFIGMAP.yaml CHART_RENDERING.yaml [config.rs]

A schema accepts a Deployment without readOnlyRootFilesystem or probes; these rules are what
keeps the pods inside the "restricted" Pod Security Standard and the rollout safe. The files
given together are one rendering: a Service, PodDisruptionBudget, HorizontalPodAutoscaler,
NetworkPolicy or Ingress must find its Deployment or Service among them, and a Deployment the
ConfigMap its shutdown bound comes from. An Ingress must not route /metrics, a NetworkPolicy must
not admit everyone, and a ServiceMonitor (a CRD, which the Kubernetes schemas do not hold) gets
its shape checked here.

The second form is a drift check: the plain manifests' ConfigMap and the chart's rendered one
must hold the same settings, each a variable src/config.rs reads.
"""

import re
import sys

import yaml

WORKLOADS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}
# The server's default for TUDU_SHUTDOWN_TIMEOUT_SECS (src/config.rs).
SHUTDOWN_TIMEOUT_DEFAULT = 25
# ingress-nginx annotations that rewrite paths or inject configuration: with them a path of the
# allow-list could still reach /metrics.
ROUTING_ANNOTATION = re.compile(
    r"^nginx\.ingress\.kubernetes\.io/(rewrite-target|use-regex|.*snippet)$"
)
# prometheus-operator's Duration pattern (monitoring.coreos.com/v1).
DURATION = re.compile(
    r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
)
DURATION_PART = re.compile(r"([0-9]+)(ms|y|w|d|h|m|s)")
SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
# Fields of a ServiceMonitor this check knows, each a field of the monitoring.coreos.com/v1
# CRD; anything else is reported, so that a misspelt field cannot pass unseen.
SERVICE_MONITOR_FIELDS = {
    "spec": {"endpoints", "selector", "namespaceSelector", "jobLabel", "targetLabels"},
    "endpoint": {"port", "path", "scheme", "interval", "scrapeTimeout", "honorLabels"},
    "namespaceSelector": {"matchNames", "any"},
}
PROBE_PATHS = {
    "startupProbe": "/health/live",
    "livenessProbe": "/health/live",
    "readinessProbe": "/health/ready",
}


def pod_problems(kind, spec):
    pod = spec["template"]["spec"]
    psc = pod.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True:
        yield "pod securityContext.runAsNonRoot is not true"
    if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        yield "pod seccompProfile is not RuntimeDefault"
    if pod.get("automountServiceAccountToken") is not False:
        yield "automountServiceAccountToken is not false"
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        name = c.get("name", "?")
        sc = c.get("securityContext") or {}
        if sc.get("readOnlyRootFilesystem") is not True:
            yield f"container {name}: readOnlyRootFilesystem is not true"
        if sc.get("allowPrivilegeEscalation") is not False:
            yield f"container {name}: allowPrivilegeEscalation is not false"
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            yield f"container {name}: capabilities do not drop ALL"
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            if "memory" not in (res.get(part) or {}):
                yield f"container {name}: no memory {part}"
        image = c.get("image", "")
        if image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]:
            yield f"container {name}: image {image!r} has no fixed tag"
        if kind == "Deployment":
            # The HPA scales on CPU utilisation, a percentage of this request.
            if "cpu" not in (res.get("requests") or {}):
                yield f"container {name}: no cpu request"
            ports = {p.get("name") for p in c.get("ports") or []} | {
                p.get("containerPort") for p in c.get("ports") or []
            }
            for probe, path in PROBE_PATHS.items():
                if probe not in c:
                    yield f"container {name}: no {probe}"
                    continue
                get = (c[probe] or {}).get("httpGet") or {}
                if get.get("path") != path:
                    yield f"container {name}: {probe} path is {get.get('path')!r}, not {path}"
                if get.get("port") not in ports:
                    yield f"container {name}: {probe} port {get.get('port')!r} is no container port"
    if kind == "Deployment":
        rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
        if rolling.get("maxUnavailable") != 0:
            yield "rollingUpdate.maxUnavailable is not 0"


def selects(selector, labels):
    """Whether a label selector (matchLabels, or a Service's plain map) picks these labels."""
    if not selector:
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        if selector.get("matchExpressions"):
            return False  # not used here; refuse rather than guess
        selector = selector.get("matchLabels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def where(d):
    return f"{d.get('kind')}/{(d.get('metadata') or {}).get('name')}"


def wiring_problems(docs):
    """Service, PDB and HPA against the Deployments of the same rendering."""
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    others = [d for d in docs if d.get("kind") in WORKLOADS - {"Deployment"}]

    def pod_labels(d):
        return ((d["spec"]["template"].get("metadata") or {}).get("labels")) or {}

    for d in deployments:
        if not selects(d["spec"].get("selector"), pod_labels(d)):
            yield f"{where(d)}: its selector does not match its own pod labels"
    for d in docs:
        kind = d.get("kind")
        spec = d.get("spec") or {}
        if kind in ("Service", "PodDisruptionBudget"):
            selector = spec.get("selector")
            targets = [x for x in deployments if selects(selector, pod_labels(x))]
            if not targets:
                yield f"{where(d)}: selector {selector} matches no Deployment's pods"
            for x in others:
                if selects(selector, pod_labels(x)):
                    yield f"{where(d)}: selector {selector} also matches {where(x)}'s pods"
            if kind == "Service":
                for port in spec.get("ports") or []:
                    target = port.get("targetPort", port.get("port"))
                    for x in targets:
                        names = {
                            q.get(k)
                            for c in x["spec"]["template"]["spec"].get("containers", [])
                            for q in c.get("ports") or []
                            for k in ("name", "containerPort")
                        }
                        if target not in names:
                            yield f"{where(d)}: targetPort {target!r} is no port of {where(x)}"
        if kind == "HorizontalPodAutoscaler":
            ref = spec.get("scaleTargetRef") or {}
            if ref.get("kind") != "Deployment" or not any(
                (x.get("metadata") or {}).get("name") == ref.get("name") for x in deployments
            ):
                yield f"{where(d)}: scaleTargetRef {ref.get('kind')}/{ref.get('name')} is no Deployment here"


def container_ports(deployment):
    return {
        q.get(k)
        for c in deployment["spec"]["template"]["spec"].get("containers", [])
        for q in c.get("ports") or []
        for k in ("name", "containerPort")
    }


def grace_problems(docs):
    """The kubelet must wait out the preStop pause plus the server's own shutdown bound."""
    maps = {
        (d.get("metadata") or {}).get("name"): d.get("data") or {}
        for d in docs
        if d.get("kind") == "ConfigMap"
    }
    for d in docs:
        if d.get("kind") != "Deployment":
            continue
        pod = d["spec"]["template"]["spec"]
        grace = pod.get("terminationGracePeriodSeconds", 30)
        for c in pod.get("containers", []):
            env = {}
            for source in c.get("envFrom") or []:
                ref = source.get("configMapRef")
                if not ref:
                    continue
                if ref.get("name") in maps:
                    env.update(maps[ref["name"]])
                elif not ref.get("optional"):
                    yield f"{where(d)}: envFrom names ConfigMap {ref.get('name')!r}, which is not here"
            env.update({e["name"]: e["value"] for e in c.get("env") or [] if "value" in e})
            shutdown = int(env.get("TUDU_SHUTDOWN_TIMEOUT_SECS") or SHUTDOWN_TIMEOUT_DEFAULT)
            pre_stop = (c.get("lifecycle") or {}).get("preStop") or {}
            sleep = (pre_stop.get("sleep") or {}).get("seconds", 0)
            if grace <= sleep + shutdown:
                yield (
                    f"{where(d)}: terminationGracePeriodSeconds {grace} does not exceed the preStop "
                    f"sleep ({sleep}) + TUDU_SHUTDOWN_TIMEOUT_SECS ({shutdown}) of {c.get('name')}"
                )


def routes_metrics(path, path_type):
    """Whether an Ingress path would send a request for /metrics to its backend."""
    segments = [s for s in path.split("/") if s]
    return segments[:1] == ["metrics"] or (path_type != "Exact" and not segments)


def admits_everyone(peer):
    cidr = (peer.get("ipBlock") or {}).get("cidr")
    if cidr:
        return cidr in ("0.0.0.0/0", "::/0")

    def empty(selector):
        return not (selector.get("matchLabels") or selector.get("matchExpressions"))

    # An empty namespaceSelector picks every namespace; without a podSelector that narrows it,
    # every pod in the cluster.
    namespaces, pods = peer.get("namespaceSelector"), peer.get("podSelector")
    return namespaces is not None and empty(namespaces) and (pods is None or empty(pods))


def service_port(service, port):
    """Whether an Ingress backend port (by name or number) is a port of this Service."""
    for q in (service.get("spec") or {}).get("ports") or []:
        by_name = "name" in port and q.get("name") == port["name"]
        if by_name or q.get("port") == port.get("number"):
            return True
    return False


def exposure_problems(docs):
    """Ingress and NetworkPolicy: what reaches the pods, and /metrics never from outside."""
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    services = {
        (d.get("metadata") or {}).get("name"): d for d in docs if d.get("kind") == "Service"
    }
    for d in docs:
        spec = d.get("spec") or {}
        if d.get("kind") == "Ingress":
            if spec.get("defaultBackend"):
                yield f"{where(d)}: a defaultBackend routes every path, /metrics included"
            for name in (d.get("metadata") or {}).get("annotations") or {}:
                if ROUTING_ANNOTATION.match(name):
                    yield f"{where(d)}: annotation {name} can rewrite a routed path to /metrics"
            for rule in spec.get("rules") or []:
                for p in (rule.get("http") or {}).get("paths") or []:
                    path, path_type = p.get("path", "/"), p.get("pathType")
                    if path_type not in ("Exact", "Prefix"):
                        yield f"{where(d)}: path {path} is {path_type}, not Exact or Prefix"
                    if routes_metrics(path, path_type):
                        yield f"{where(d)}: path {path} ({path_type}) routes /metrics"
                    backend = (p.get("backend") or {}).get("service") or {}
                    service = services.get(backend.get("name"))
                    port = backend.get("port") or {}
                    if service is None:
                        yield f"{where(d)}: backend {backend.get('name')!r} is no Service here"
                    elif not service_port(service, port):
                        yield f"{where(d)}: backend port {port} is no port of {where(service)}"
        if d.get("kind") == "NetworkPolicy":
            targets = [
                x
                for x in deployments
                if selects(
                    spec.get("podSelector"),
                    x["spec"]["template"].get("metadata", {}).get("labels") or {},
                )
            ]
            if not targets:
                yield f"{where(d)}: podSelector {spec.get('podSelector')} matches no Deployment's pods"
            if "Ingress" not in (spec.get("policyTypes") or []):
                yield f"{where(d)}: policyTypes does not include Ingress"
            for rule in spec.get("ingress") or []:
                if not rule.get("from"):
                    yield f"{where(d)}: a rule without `from` admits every source"
                if not rule.get("ports"):
                    yield f"{where(d)}: a rule without `ports` admits every port"
                for port in rule.get("ports") or []:
                    for x in targets:
                        if port.get("port") not in container_ports(x):
                            yield f"{where(d)}: port {port.get('port')!r} is no port of {where(x)}"
                for peer in rule.get("from") or []:
                    if admits_everyone(peer):
                        yield f"{where(d)}: peer {peer} admits every pod or address"


def seconds(duration):
    return sum(int(n) * SECONDS[unit] for n, unit in DURATION_PART.findall(duration))


def service_monitor_problems(docs):
    """A ServiceMonitor's shape: no schema for it is bundled with the Kubernetes ones."""
    services = [d for d in docs if d.get("kind") == "Service"]
    for d in docs:
        if d.get("kind") != "ServiceMonitor":
            continue
        if d.get("apiVersion") != "monitoring.coreos.com/v1":
            yield f"{where(d)}: apiVersion {d.get('apiVersion')!r} is not monitoring.coreos.com/v1"
        spec = d.get("spec") or {}
        for key in sorted(set(spec) - SERVICE_MONITOR_FIELDS["spec"]):
            yield f"{where(d)}: unknown field spec.{key}"
        for key in sorted(
            set(spec.get("namespaceSelector") or {}) - SERVICE_MONITOR_FIELDS["namespaceSelector"]
        ):
            yield f"{where(d)}: unknown field spec.namespaceSelector.{key}"
        selected = [
            x
            for x in services
            if selects(spec.get("selector"), (x.get("metadata") or {}).get("labels") or {})
        ]
        if not selected:
            yield f"{where(d)}: selector {spec.get('selector')} matches no Service's labels"
        if not spec.get("endpoints"):
            yield f"{where(d)}: no endpoints"
        for e in spec.get("endpoints") or []:
            for key in sorted(set(e) - SERVICE_MONITOR_FIELDS["endpoint"]):
                yield f"{where(d)}: unknown field spec.endpoints[].{key}"
            if e.get("path", "/metrics") != "/metrics":
                yield f"{where(d)}: endpoint path {e.get('path')!r} is not /metrics"
            for x in selected:
                names = {q.get("name") for q in (x.get("spec") or {}).get("ports") or []}
                if e.get("port") not in names:
                    yield f"{where(d)}: endpoint port {e.get('port')!r} is no named port of {where(x)}"
            for key in ("interval", "scrapeTimeout"):
                if key in e and not (isinstance(e[key], str) and e[key] and DURATION.match(e[key])):
                    yield f"{where(d)}: endpoint {key} {e[key]!r} is no Prometheus duration"
            interval, timeout = e.get("interval"), e.get("scrapeTimeout")
            if (
                isinstance(interval, str)
                and isinstance(timeout, str)
                and seconds(timeout) > seconds(interval)
            ):
                yield f"{where(d)}: scrapeTimeout {timeout} is longer than interval {interval}"


def main(paths):
    problems = []
    everything = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        everything += docs
        for doc in docs:
            kind = doc.get("kind")
            where = f"{path}: {kind}/{doc.get('metadata', {}).get('name')}"
            if kind == "Secret":
                problems.append(f"{where}: secrets must not be rendered or applied from the repo")
            if kind in WORKLOADS:
                problems += [f"{where}: {p}" for p in pod_problems(kind, doc["spec"])]
    for check in (wiring_problems, grace_problems, exposure_problems, service_monitor_problems):
        problems += [f"{' '.join(paths)}: {p}" for p in check(everything)]
    for p in problems:
        print(f"POLICY {p}")
    return 1 if problems else 0


def config_map(path):
    with open(path, encoding="utf-8") as f:
        maps = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "ConfigMap"]
    if len(maps) != 1:
        sys.exit(f"POLICY {path}: expected one ConfigMap, found {len(maps)}")
    return {k: str(v) for k, v in (maps[0].get("data") or {}).items()}


def same_config(plain_path, chart_path, config_rs="src/config.rs"):
    """The plain ConfigMap and the chart's rendered one carry the same known settings."""
    plain, chart = config_map(plain_path), config_map(chart_path)
    with open(config_rs, encoding="utf-8") as f:
        # RUST_LOG is read by the log filter (src/telemetry.rs), not by the settings.
        known = set(re.findall(r'env = "([A-Z0-9_]+)"', f.read())) | {"RUST_LOG"}
    problems = []
    for key in sorted(plain.keys() | chart.keys()):
        if key not in known:
            problems.append(f"{key} is no variable {config_rs} reads")
        if key not in chart:
            problems.append(f"{key} is set in {plain_path} but not by the chart")
        elif key not in plain:
            problems.append(f"{key} is set by the chart but not in {plain_path}")
        elif plain[key] != chart[key]:
            problems.append(f"{key} is {plain[key]!r} in {plain_path} but {chart[key]!r} in the chart")
    for p in problems:
        print(f"POLICY config drift: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--same-config"]:
        sys.exit(same_config(*sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
