"""The project's own module graph, read statically (every import, lazy ones inside functions included):

* the server (``dictate.server``) and the clients (``dictate.client``, ``dictate.tui``, ``dictate.transcribe``,
  ``dictate.bench``) are disjoint: neither imports the other; the shared cores import neither;
* ``bench/floor.py`` is the one client module allowed to use the server's model code (it runs the server's
  final pass offline, to measure the floor);
* one importer per heavy library: RealtimeSTT only in ``server/live/voice_activity.py``, faster-whisper only in
  ``server/model/whisper.py``, pynput only in ``tui/sink.py``, sounddevice only in ``tui/sources.py``; torch nowhere;
* no import cycle among the imports run when a module loads (lazy ones and ``if TYPE_CHECKING:`` left out), and no
  module over 400 lines (past that, split it by responsibility).

tests/unit/test_imports.py checks what really gets loaded at run time; this checks what the code says.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
CLIENT_PACKAGES = ("dictate.client", "dictate.tui", "dictate.transcribe", "dictate.bench", "dictate.history_command")
SERVER_PACKAGES = ("dictate.server",)
ENTRY_POINTS = {
    "dictate.cli",
    "dictate.entry",
    "dictate.__main__",
    "dictate.serve_command",
}  # start either side, lazily
SERVER_CODE_FOR_THE_FLOOR = {
    "dictate.bench.floor": {
        "dictate.server.model.source",
        "dictate.server.model.pass_types",
        "dictate.server.model.whisper",
    }
}
ONLY_IMPORTER = {
    "RealtimeSTT": {"dictate.server.live.voice_activity"},
    "faster_whisper": {"dictate.server.model.whisper"},
    "pynput": {"dictate.tui.sink"},
    "sounddevice": {"dictate.tui.sources"},
    "torch": set(),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (``from a import b`` counts as ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in sorted((SRC / "dictate").rglob("*.py"))}


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def project_imports(imports: set[str], modules: set[str]) -> set[str]:
    return {name for name in imports if name in modules}


def test_the_graph_is_read() -> None:
    modules = graph()
    assert "dictate.server.live.voice_activity" in modules and "dictate.client.stream" in modules
    assert "dictate.server.live.core" in modules["dictate.server.live.pipeline"]
    assert "RealtimeSTT" in modules["dictate.server.live.voice_activity"]  # a lazy import inside a method counts


def crossings(
    modules: dict[str, set[str]], sources: set[str], targets: tuple[str, ...], allowed: dict[str, set[str]]
) -> set[tuple[str, str]]:
    """(importer, imported) pairs from ``sources`` into the ``targets`` packages, less the ``allowed`` ones."""
    return {
        (name, target)
        for name in sources
        for target in project_imports(modules[name], set(modules))
        if within(target, targets) and target not in allowed.get(name, set())
    }


def test_the_server_imports_no_client_module() -> None:
    modules = graph()
    server = {name for name in modules if within(name, SERVER_PACKAGES)}
    assert crossings(modules, server, CLIENT_PACKAGES, {}) == set()


def test_the_clients_import_no_server_module_but_the_floor_its_model_code() -> None:
    modules = graph()
    clients = {name for name in modules if within(name, CLIENT_PACKAGES)}
    assert crossings(modules, clients, SERVER_PACKAGES, SERVER_CODE_FOR_THE_FLOOR) == set()


def test_the_shared_cores_import_neither_side() -> None:
    modules = graph()
    shared = {
        name
        for name in modules
        if not within(name, CLIENT_PACKAGES + SERVER_PACKAGES) and name not in ENTRY_POINTS and name != "dictate"
    }
    assert {"dictate.protocol", "dictate.transcript", "dictate.config", "dictate.audio"} <= shared
    assert crossings(modules, shared, CLIENT_PACKAGES + SERVER_PACKAGES, {}) == set()


@pytest.mark.parametrize("library", sorted(ONLY_IMPORTER))
def test_one_importer_per_heavy_library(library: str) -> None:
    importers = {name for name, imports in graph().items() if any(within(target, (library,)) for target in imports)}
    assert importers == ONLY_IMPORTER[library]


LIVE_CORE = "dictate.server.live.core"
NOT_IN_THE_CORE = ("threading", "asyncio", "time", "queue", "concurrent", "RealtimeSTT", "faster_whisper")


def test_the_live_core_and_what_it_imports_use_no_thread_clock_or_model() -> None:
    """The sans-I/O core (and every project module it reaches) imports no threads, clock, RealtimeSTT or
    faster-whisper: the shells (``live/worker.py``, ``live/voice_activity.py``) bring those."""
    modules = graph()
    reached, todo = set(), [LIVE_CORE]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += project_imports(modules[name], set(modules))
    assert {"dictate.server.live.finals", "dictate.server.live.timeline"} <= reached
    assert "dictate.server.live.worker" not in reached
    found = {
        (name, target)
        for name in reached
        for target in modules[name]
        if any(within(target, (library,)) for library in NOT_IN_THE_CORE)
    }
    assert found == set()


PURE_CLIENT_CORES = ("dictate.transcript", "dictate.protocol", "dictate.voice_commands")
SETTINGS_MODULES = ("dictate.config", "dictate.client_config", "dictate.configfile", "pydantic", "pydantic_settings")


@pytest.mark.parametrize("core", PURE_CLIENT_CORES)
def test_the_pure_client_cores_do_not_read_settings(core: str) -> None:
    """The transcript diff, the protocol and the voice commands take plain values: the settings module (and
    pydantic behind it) is the shells' business, so the cores reach none of it."""
    modules = graph()
    reached, todo = set(), [core]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += project_imports(modules[name], set(modules))
    found = {
        (name, target)
        for name in reached
        for target in modules[name]
        if any(within(target, (settings,)) for settings in SETTINGS_MODULES)
    }
    assert found == set()


MAX_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    lengths = {module_name(path): len(path.read_text(encoding="utf-8").splitlines()) for path in SRC.rglob("*.py")}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def load_time_imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it loads: not inside functions, not under ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                walk(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    walk([child])
            for handler in getattr(node, "handlers", []):
                walk(handler.body)

    walk(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def test_no_import_cycle() -> None:
    paths = {module_name(path): path for path in sorted((SRC / "dictate").rglob("*.py"))}
    edges = {name: project_imports(load_time_imports(path), set(paths)) - {name} for name, path in paths.items()}
    state: dict[str, str] = {}  # visiting / done
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "visiting"
        for target in sorted(edges[name]):
            if state.get(target) == "visiting":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []
