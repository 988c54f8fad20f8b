"""k8s/: `kubectl kustomize` renders it, every object validates against the Kubernetes schemas offline,
and the settings that make the service work (GPU, probes, timeouts, token, cache, drain, scaling) are right.
The mutation tests prove each rule catches the mistake it is for."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.checks import (
    ACTIVE_SESSIONS_METRIC,
    K8S_DIR,
    METRICS_PATH,
    METRICS_PORT,
    Obj,
    all_problems,
    container_of,
    env_of,
    find,
    hpa_problems,
    kustomize,
    load_yaml_documents,
)

# The oldest Kubernetes still commonly run by managed services, and the newest schemas shipped.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
RENDERED = {"base": K8S_DIR, "scale": K8S_DIR / "overlays" / "scale"}
# Core-API examples are validated like the rendered objects; CRD examples (ServiceMonitor, KEDA) by hand.
CORE_EXAMPLES = ("secret.example.yaml",)


@pytest.fixture(scope="module")
def renders() -> dict[str, list[Obj]]:
    return {name: kustomize(path) for name, path in RENDERED.items()}


@pytest.fixture(scope="module")
def base(renders: dict[str, list[Obj]]) -> list[Obj]:
    return renders["base"]


@pytest.fixture(scope="module")
def scale(renders: dict[str, list[Obj]]) -> list[Obj]:
    return renders["scale"]


def validate_all(objects: list[Obj]) -> None:
    for version in KUBERNETES_VERSIONS:
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                raise AssertionError(f"{obj['kind']}/{obj['metadata']['name']} on {version}: {exc}") from exc


def kinds(objects: list[Obj]) -> list[str]:
    return sorted(obj["kind"] for obj in objects)


def test_base_renders_the_single_gpu_service(base: list[Obj]) -> None:
    assert kinds(base) == ["Deployment", "Ingress", "Namespace", "PersistentVolumeClaim", "Service"]
    # No Secret in the kustomization: re-applying must never overwrite the user's token or certificate.
    assert not find(base, "Secret")


def test_scale_overlay_adds_autoscaling(scale: list[Obj]) -> None:
    assert kinds(scale) == [
        "Deployment",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Namespace",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "Service",
    ]


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_every_rendered_object_validates_against_the_kubernetes_schemas(
    renders: dict[str, list[Obj]], name: str
) -> None:
    validate_all(renders[name])


def test_core_examples_validate() -> None:
    for file_name in CORE_EXAMPLES:
        validate_all(load_yaml_documents(K8S_DIR / "examples" / file_name))


def test_the_validator_rejects_a_broken_object(base: list[Obj]) -> None:
    """Strict schemas are really loaded: a wrong type and an unknown field are both refused."""
    deployment = copy.deepcopy(find(base, "Deployment")[0])
    deployment["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)
    deployment = copy.deepcopy(find(base, "Deployment")[0])
    container_of(deployment)["readinessProbes"] = container_of(deployment).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_the_deployment_rules_hold(renders: dict[str, list[Obj]], name: str) -> None:
    assert all_problems(renders[name]) == []


def test_base_runs_one_replica_and_sets_the_image(base: list[Obj]) -> None:
    deployment = find(base, "Deployment")[0]
    assert deployment["spec"]["replicas"] == 1
    assert container_of(deployment)["image"] == "registry.example.com/dictate:0.1.0-gpu"
    # No command/args: the image's CMD (dictate serve --host 0.0.0.0 --port 8000) runs, see test_dockerfile.
    assert "command" not in container_of(deployment) and "args" not in container_of(deployment)
    assert env_of(container_of(deployment))["DICTATE_DEVICE"]["value"] == "cuda"  # fail loudly without a GPU


def test_prometheus_scrape_hints(base: list[Obj]) -> None:
    annotations = find(base, "Deployment")[0]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(METRICS_PORT)
    assert env_of(container_of(find(base, "Deployment")[0]))["DICTATE_METRICS_PORT"]["value"] == str(METRICS_PORT)
    assert annotations["prometheus.io/path"] == METRICS_PATH
    monitor = load_yaml_documents(K8S_DIR / "examples" / "servicemonitor.yaml")[0]
    service = find(base, "Service")[0]
    assert monitor["kind"] == "ServiceMonitor"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
    assert ports[monitor["spec"]["endpoints"][0]["port"]] == METRICS_PORT
    assert monitor["spec"]["endpoints"][0]["path"] == METRICS_PATH


def test_scale_overlay_shares_the_model_cache(scale: list[Obj]) -> None:
    assert find(scale, "PersistentVolumeClaim")[0]["spec"]["accessModes"] == ["ReadWriteMany"]
    budget = find(scale, "PodDisruptionBudget")[0]["spec"]
    labels = find(scale, "Deployment")[0]["spec"]["template"]["metadata"]["labels"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()


def test_custom_metric_examples_name_the_servers_gauge() -> None:
    adapter = load_yaml_documents(K8S_DIR / "examples" / "prometheus-adapter-values.yaml")[0]
    rule = adapter["rules"]["custom"][0]
    assert rule["seriesQuery"].startswith(ACTIVE_SESSIONS_METRIC + "{")
    assert rule["name"]["as"] == ACTIVE_SESSIONS_METRIC
    assert set(rule["resources"]["overrides"]) == {"namespace", "pod"}
    keda = load_yaml_documents(K8S_DIR / "examples" / "keda-scaledobject.yaml")[0]
    assert keda["kind"] == "ScaledObject" and keda["spec"]["scaleTargetRef"]["name"] == "dictate"
    trigger = keda["spec"]["triggers"][0]
    assert trigger["type"] == "prometheus"
    # KEDA divides the query by the replica count (AverageValue): the query must be a total, not an average.
    assert trigger["metadata"]["query"].startswith(f"sum({ACTIVE_SESSIONS_METRIC}")


# ---------------------------------------------------------------- the rules catch mistakes


def _deployment(objects: list[Obj]) -> Obj:
    return find(objects, "Deployment")[0]


def _container(objects: list[Obj]) -> Obj:
    return container_of(_deployment(objects))


def _env(objects: list[Obj], name: str) -> Obj:
    return env_of(_container(objects))[name]


def _ingress_annotations(objects: list[Obj]) -> dict[str, str]:
    annotations: dict[str, str] = find(objects, "Ingress")[0]["metadata"]["annotations"]
    return annotations


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    target[key] = value


MUTATIONS: dict[str, tuple[Callable[[list[Obj]], None], str]] = {
    "readiness on /healthz": (
        lambda o: _set(_container(o)["readinessProbe"]["httpGet"], "path", "/healthz"),
        "readinessProbe",
    ),
    "liveness on a wrong path": (
        lambda o: _set(_container(o)["livenessProbe"]["httpGet"], "path", "/health"),
        "livenessProbe",
    ),
    "startup on a wrong port": (
        lambda o: _set(_container(o)["startupProbe"]["httpGet"], "port", 8080),
        "startupProbe port",
    ),
    "startup too short for a download": (
        lambda o: _set(_container(o)["startupProbe"], "failureThreshold", 3),
        "startupProbe allows",
    ),
    "no GPU limit": (lambda o: _container(o)["resources"]["limits"].pop("nvidia.com/gpu"), "limits"),
    "two GPUs requested": (lambda o: _set(_container(o)["resources"]["requests"], "nvidia.com/gpu", 2), "requests"),
    "container port 8080": (lambda o: _set(_container(o)["ports"][0], "containerPort", 8080), "container ports"),
    "token as a literal": (lambda o: _set(_env(o, "DICTATE_TOKEN"), "value", "hunter2"), "DICTATE_TOKEN"),
    "optional token": (
        lambda o: _set(_env(o, "DICTATE_TOKEN")["valueFrom"]["secretKeyRef"], "optional", True),
        "optional",
    ),
    "cache not on the claim": (lambda o: _set(_container(o)["volumeMounts"][0], "mountPath", "/cache"), "HF_HOME"),
    "HF_HOME elsewhere": (lambda o: _set(_env(o, "HF_HOME"), "value", "/root/.cache"), "HF_HOME"),
    "grace shorter than the drain": (
        lambda o: _set(_deployment(o)["spec"]["template"]["spec"], "terminationGracePeriodSeconds", 30),
        "terminationGracePeriodSeconds",
    ),
    "drain longer than the grace": (
        lambda o: _set(_env(o, "DICTATE_DRAIN_TIMEOUT"), "value", "120"),
        "terminationGracePeriodSeconds",
    ),
    "root user": (
        lambda o: _set(_deployment(o)["spec"]["template"]["spec"]["securityContext"], "runAsUser", 0),
        "runAsUser",
    ),
    "runAsNonRoot off": (
        lambda o: _set(_deployment(o)["spec"]["template"]["spec"]["securityContext"], "runAsNonRoot", False),
        "runAsNonRoot",
    ),
    "NGINX default read timeout": (
        lambda o: _set(_ingress_annotations(o), "nginx.ingress.kubernetes.io/proxy-read-timeout", "60"),
        "proxy-read-timeout",
    ),
    "no send timeout": (
        lambda o: _ingress_annotations(o).pop("nginx.ingress.kubernetes.io/proxy-send-timeout"),
        "proxy-send-timeout",
    ),
    "stream not routed": (
        lambda o: _set(find(o, "Ingress")[0]["spec"]["rules"][0]["http"]["paths"][0], "path", "/ws"),
        "/stream",
    ),
    "metrics published": (
        lambda o: _set(find(o, "Ingress")[0]["spec"]["rules"][0]["http"]["paths"][1], "path", "/metrics"),
        "/metrics",
    ),
    "no TLS": (lambda o: find(o, "Ingress")[0]["spec"].pop("tls"), "TLS"),
    "metrics on the main port": (
        lambda o: _env(o, "DICTATE_METRICS_PORT").update(value="8000"),
        "DICTATE_METRICS_PORT must be set",
    ),
    "metrics port not a container port": (
        lambda o: _container(o)["ports"].pop(1),
        "lack the metrics port",
    ),
    "scraping the main port": (
        lambda o: _set(_deployment(o)["spec"]["template"]["metadata"]["annotations"], "prometheus.io/port", "8000"),
        "prometheus.io/port",
    ),
    "Ingress routes the metrics port": (
        lambda o: _set(
            find(o, "Ingress")[0]["spec"]["rules"][0]["http"]["paths"][1]["backend"]["service"]["port"],
            "name",
            "metrics",
        ),
        "routes /healthz to the metrics port",
    ),
    "Service on another port": (
        lambda o: _set(find(o, "Service")[0]["spec"]["ports"][0], "port", 80),
        "Service does not map",
    ),
    "Service selects nothing": (
        lambda o: _set(find(o, "Service")[0]["spec"], "selector", {"app": "other"}),
        "selector",
    ),
    "NodePort Service": (lambda o: _set(find(o, "Service")[0]["spec"], "type", "NodePort"), "ClusterIP"),
}


@pytest.mark.parametrize("mistake", sorted(MUTATIONS))
def test_a_broken_manifest_is_caught(base: list[Obj], mistake: str) -> None:
    mutate, expected = MUTATIONS[mistake]
    objects = copy.deepcopy(base)
    mutate(objects)
    problems = all_problems(objects)
    assert any(expected in problem for problem in problems), problems


HPA_MUTATIONS: dict[str, tuple[Callable[[list[Obj]], None], str]] = {
    "CPU metric": (
        lambda o: _set(
            find(o, "HorizontalPodAutoscaler")[0]["spec"]["metrics"][0]["pods"]["metric"], "name", "cpu_usage"
        ),
        ACTIVE_SESSIONS_METRIC,
    ),
    "target above capacity": (
        lambda o: _set(
            find(o, "HorizontalPodAutoscaler")[0]["spec"]["metrics"][0]["pods"]["target"], "averageValue", "9"
        ),
        "per pod",
    ),
    "fixed replicas kept": (lambda o: _set(_deployment(o)["spec"], "replicas", 2), "replicas"),
    "wrong target": (
        lambda o: _set(find(o, "HorizontalPodAutoscaler")[0]["spec"]["scaleTargetRef"], "name", "other"),
        "scales",
    ),
}


@pytest.mark.parametrize("mistake", sorted(HPA_MUTATIONS))
def test_a_broken_autoscaler_is_caught(scale: list[Obj], mistake: str) -> None:
    mutate, expected = HPA_MUTATIONS[mistake]
    objects = copy.deepcopy(scale)
    mutate(objects)
    problems = hpa_problems(objects)
    assert any(expected in problem for problem in problems), problems


def test_kustomize_failure_is_reported(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="kubectl kustomize"):
        kustomize(tmp_path)
