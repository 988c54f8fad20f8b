"""Fixtures of the dashboard tests: a scripted server, a recording text sink, an app factory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dictate.config import ClientSettings, TypingMode
from dictate.transcript import TypingPlan, apply_plan
from dictate.tui.app import DictateApp, TuiOptions

from .fakeserver import FakeServer

REPO_ROOT = Path(__file__).resolve().parents[2]


class RecordingSink:
    """A fake focused text field: applies each plan, counts keys (the real one is tested under Xvfb)."""

    def __init__(self) -> None:
        self.text = ""
        self.plans: list[TypingPlan] = []
        self.cancelled = 0

    def submit(self, plan: TypingPlan) -> None:
        self.plans.append(plan)
        self.text = apply_plan(self.text, plan)

    def cancel_pending(self) -> None:
        self.cancelled += 1

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def _no_fake_server_left() -> Iterator[None]:
    """A test that fails before stopping its scripted server still leaves none behind (a running one would
    hold its port and thread past the test)."""
    yield
    FakeServer.stop_all()


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer().start()
    yield server
    server.stop()


def make_app(
    tmp_path: Path,
    server: str | None,
    source: Path | None = None,
    mode: TypingMode = TypingMode.FINAL,
    sink: RecordingSink | None = None,
    **settings: object,
) -> DictateApp:
    """A dashboard with a private history file, no global hotkey, and (by default) a recording sink."""
    client = ClientSettings(
        server=server,
        type_mode=mode,
        history_path=tmp_path / "history.sqlite3",
        **{"final_grace": 3.0, **settings},  # type: ignore[arg-type]
    )
    options = TuiOptions(settings=client, source=source, global_hotkey=False)
    return DictateApp(options, sink=sink if sink is not None else RecordingSink())


def record_interim_pane(app: Any) -> list[str]:
    """Every text the interim pane is given (so a test sees interims that the next message replaces at once)."""
    from textual.widgets import Static

    shown: list[str] = []
    render = app._render_interim

    def recording() -> None:
        render()
        text = str(app.query_one("#interim", Static).render())
        if not shown or shown[-1] != text:
            shown.append(text)

    app._render_interim = recording
    routes = getattr(app, "routes", None)
    if routes is not None:  # the stream handlers were given the app's method when it was made
        import dataclasses

        routes.hooks = dataclasses.replace(routes.hooks, render_interim=recording)
    return shown


async def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Poll ``condition`` on the app's loop until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


async def turn_off(app: Any, pilot: Any, timeout: float = 20.0) -> None:
    """Press space for OFF and wait until the run has ended (its last final typed, or the grace period over)."""
    await pilot.press("space")
    await wait_until(lambda: app.session is None, timeout=timeout, what="the session to end")


@pytest.fixture(scope="module")
def real_server() -> Iterator[str]:
    """A real `dictate serve` (packaged Whisper base) on a free loopback port; yields its stream URL."""
    from dictate.client.embedded import EmbeddedServer

    with EmbeddedServer() as server:
        _SERVER_LOGS[server.url] = server.log_path
        yield server.url
        _SERVER_LOGS.pop(server.url, None)


_SERVER_LOGS: dict[str, Path] = {}  # stream URL -> the real server's log, for a failing test's report


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no file)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failing test that ran the real server or a dashboard's log file shows the end of both: a test that
    fails on CI only (under load) must say what the server and the dashboard did."""
    report = yield
    if report.failed and call.when == "call":
        funcargs = getattr(item, "funcargs", {})
        url, tmp = funcargs.get("real_server"), funcargs.get("tmp_path")
        if isinstance(url, str) and url in _SERVER_LOGS:
            report.sections.append(("the real server's log", _tail(_SERVER_LOGS[url], 400)))
        if isinstance(tmp, Path) and (tmp / "tui.log").exists():
            report.sections.append(("the dashboard's log", _tail(tmp / "tui.log")))
    return report


def poll_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` (outside an event loop) until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def words(text: str) -> str:
    """Lower-case words only, for comparing recognised text."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


# ------------------------------------------------------------------ X11 and tmux helpers


@contextlib.contextmanager
def running_xvfb(number: int, *options: str) -> Iterator[str]:
    """Xvfb on display ``:number`` (with Xvfb's ``options``) while the block runs; yields its DISPLAY value. Fails
    (never skips) when Xvfb or xdotool is missing.

    ``-noreset``: by default Xvfb resets when its last client disconnects, and the reset drops a client that
    connected meanwhile before its setup was answered (xorg/xserver#1102). CI once failed that way: one test closed
    its xterm and dashboard, the next test's xterm started at once and got "Can't open display"."""
    import shutil
    import subprocess

    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: the typing tests need it (Debian: apt-get install xvfb xdotool)")
    display = f":{number}"
    process = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket_path = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 10
    while not socket_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"Xvfb {display} did not start")
        time.sleep(0.05)
    try:
        yield display
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def xvfb() -> Iterator[str]:
    """A private Xvfb display; yields its DISPLAY value. Fails (never skips) when Xvfb is missing."""
    with running_xvfb(90 + os.getpid() % 400) as display:
        yield display


class TypingTarget:
    """The Tk window of tk_target.py, focused; ``text()`` reads back what was typed into it, ``keys_pressed()`` the
    keys pressed in it. With ``clipboard``, the window owns the clipboard, holding that text. With ``app_class``, the
    window's WM_CLASS is made of it (another application, for per-app profiles)."""

    def __init__(
        self, display: str, tmp_path: Path, clipboard: str | None = None, app_class: str | None = None
    ) -> None:
        import subprocess
        import sys

        self.display = display
        self.output = tmp_path / (f"typed-{app_class}.txt" if app_class else "typed.txt")
        self.env = {**os.environ, "DISPLAY": display}
        if app_class:
            self.env["DICTATE_TARGET_CLASS"] = app_class
        arguments = [str(self.output)] if clipboard is None else [str(self.output), clipboard]
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("tk_target.py")), *arguments], env=self.env
        )
        deadline = time.monotonic() + 15
        window = ""
        while not window:
            if time.monotonic() > deadline:
                self.close()
                pytest.fail("the Tk target window did not appear")
            title = f"dictate-typing-target {app_class}" if app_class else "dictate-typing-target"
            found = subprocess.run(["xdotool", "search", "--name", title], env=self.env, capture_output=True, text=True)
            window = found.stdout.split()[0] if found.stdout.split() else ""
            time.sleep(0.1)
        self.window = window
        self.focus()

    def focus(self) -> None:
        """Give this window the keyboard focus (and wait until it has it)."""
        import subprocess

        subprocess.run(["xdotool", "windowfocus", "--sync", self.window], env=self.env, check=True, timeout=10)

    def text(self) -> str:
        try:
            return self.output.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def keys_pressed(self) -> list[str]:
        try:
            return self.output.with_name(self.output.name + ".keys").read_text(encoding="utf-8").split()
        except FileNotFoundError:
            return []

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Tmux:
    """One detached tmux session running a command; read its screen, send it keys. Unless ``env`` says otherwise,
    the command gets a private XDG_RUNTIME_DIR: a dashboard's control socket (`dictate ctl`) is its own."""

    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int] = (110, 34)) -> None:
        import shlex
        import subprocess
        import tempfile

        self.name = f"dictate-test-{os.getpid()}-{time.monotonic_ns()}"
        self._runtime = None if "XDG_RUNTIME_DIR" in env else tempfile.TemporaryDirectory(prefix="dictate-run-")
        if self._runtime is not None:
            env = {**env, "XDG_RUNTIME_DIR": self._runtime.name}  # made with mode 0700
        self._scratch = tempfile.TemporaryDirectory(prefix="dictate-tmux-")
        self._exit_file = Path(self._scratch.name) / "exit-status"  # written when the command ends
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        # -u COLUMNS -u LINES: a tmux server started by a process that had them set passes them on, and Textual
        # would then draw 80x24 whatever the window's size
        exit_status = shlex.quote(str(self._exit_file))
        line = f"cd {shlex.quote(str(REPO_ROOT))} && env -u COLUMNS -u LINES {exports} {shlex.join(command)}"
        line += f"; echo $? > {exit_status}; sleep 600"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]), line],
            check=True,
        )

    def screen(self) -> str:
        import subprocess

        done = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return done.stdout

    def resize(self, columns: int, rows: int) -> None:
        """Make the window this size (a shared tmux server may have given it another)."""
        import subprocess

        subprocess.run(["tmux", "resize-window", "-t", self.name, "-x", str(columns), "-y", str(rows)], check=True)

    def press(self, *keys: str) -> None:
        import subprocess

        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, condition: Callable[[str], bool], timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{screen}")
            time.sleep(0.2)

    def exit_status(self) -> int | None:
        """The command's exit status once it has ended, else None."""
        text = self._exit_file.read_text() if self._exit_file.exists() else ""
        return int(text) if text.endswith("\n") else None

    def wait_exit(self, timeout: float, what: str = "the command to exit") -> int:
        """Wait until the command has ended; its exit status."""
        deadline = time.monotonic() + timeout
        while (status := self.exit_status()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")
            time.sleep(0.1)
        return status

    def close(self, timeout: float = 30.0) -> None:
        """Quit the dashboard with `q` and wait until it has exited (its clean-up done: the embedded server
        stopped, the control socket removed), then end the session; a command that does not exit by then is
        ended with the session (SIGHUP)."""
        import subprocess

        try:
            if self.exit_status() is None:
                self.press("q")
                self.wait_exit(timeout)
        except AssertionError:
            pass  # closing is clean-up (often in a finally): the test says what went wrong, not this
        finally:
            subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
            self._scratch.cleanup()
            if self._runtime is not None:
                self._runtime.cleanup()


def dictate_command(*args: str) -> list[str]:
    """The real `dictate` console script of this environment."""
    import sys

    return [str(Path(sys.executable).with_name("dictate")), *args]


def tui_command(server: str, source: Path, tmp_path: Path, *extra: str) -> list[str]:
    """`dictate tui` against ``server``, dictating ``source``, with a private history file."""
    return dictate_command(
        "tui", "--server", server, "--source", str(source), "--history", str(tmp_path / "h.sqlite3"), *extra
    )


def dictate_into_window(
    server: str,
    source: Path,
    display: str,
    tmp_path: Path,
    speech_seconds: float,
    settle: float = 6.0,
    mode: str = "final",
) -> tuple[str, str]:
    """The real `dictate tui --source SOURCE --on --type MODE` in tmux, typing into a focused Tk window under
    ``display``: (the window's text, the dashboard's screen) once its log says the whole file was sent and then
    nothing was typed for ``settle`` seconds (at most 60 s after the audio). The clock starts at that log line,
    not at the launch: the dashboard starts and connects first, and the last utterance may be long. The log
    (``tmp_path/tui.log``, debug level) has a line for every keystroke batch (``bench.replay.keys_typed``)."""
    target = TypingTarget(display, tmp_path)
    log = tmp_path / "tui.log"
    command = tui_command(
        server, source, tmp_path, "--on", "--type", mode, "--no-global-hotkey", "--log-file", str(log), "--debug"
    )
    tmux = Tmux(command, env={"DISPLAY": display})
    try:
        played = f"file {source.name} played ("
        poll_until(
            lambda: log.exists() and played in log.read_text(errors="replace"), speech_seconds + 60, "the file sent"
        )
        deadline = time.monotonic() + 60
        typed, changed = target.text(), time.monotonic()
        while time.monotonic() - changed < settle and time.monotonic() < deadline:
            time.sleep(0.2)
            if target.text() != typed:
                typed, changed = target.text(), time.monotonic()
        return target.text(), tmux.screen()
    finally:
        tmux.close()
        target.close()
