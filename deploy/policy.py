"""Checks the rules of docs/deploy.md that a schema cannot express, on rendered manifests.

    python deploy/policy.py FILE...   # multi-document YAML; exits 1 listing every violation
    python deploy/policy.py --same-config K8S_CONFIGMAP.yaml CHART_RENDERING.yaml [config.rs]

A schema accepts a Deployment without readOnlyRootFilesystem or probes; these rules are what
keeps the pods inside the "restricted" Pod Security Standard and the rollout safe. The files
given together are one rendering: a Service, PodDisruptionBudget or HorizontalPodAutoscaler
must find its Deployment among them.

The second form is a drift check: the plain manifests' ConfigMap and the chart's rendered one
must hold the same settings, each a variable src/config.rs reads.
"""

import re
import sys

import yaml

WORKLOADS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}
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


def wiring_problems(docs):
    """Service, PDB and HPA against the Deployments of the same rendering."""
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    others = [d for d in docs if d.get("kind") in WORKLOADS - {"Deployment"}]

    def pod_labels(d):
        return ((d["spec"]["template"].get("metadata") or {}).get("labels")) or {}

    def where(d):
        return f"{d.get('kind')}/{(d.get('metadata') or {}).get('name')}"

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
    problems += [f"{' '.join(paths)}: {p}" for p in wiring_problems(everything)]
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
