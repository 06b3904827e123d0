"""Checks the rules of docs/deploy.md that a schema cannot express, on rendered manifests.

    python deploy/policy.py FILE...   # multi-document YAML; exits 1 listing every violation

A schema accepts a Deployment without readOnlyRootFilesystem or probes; these rules are what
keeps the pods inside the "restricted" Pod Security Standard and the rollout safe.
"""

import sys

import yaml

WORKLOADS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}


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
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe not in c:
                    yield f"container {name}: no {probe}"
    if kind == "Deployment":
        rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
        if rolling.get("maxUnavailable") != 0:
            yield "rollingUpdate.maxUnavailable is not 0"


def main(paths):
    problems = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for doc in docs:
            kind = doc.get("kind")
            where = f"{path}: {kind}/{doc.get('metadata', {}).get('name')}"
            if kind == "Secret":
                problems.append(f"{where}: secrets must not be rendered or applied from the repo")
            if kind in WORKLOADS:
                problems += [f"{where}: {p}" for p in pod_problems(kind, doc["spec"])]
    for p in problems:
        print(f"POLICY {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
