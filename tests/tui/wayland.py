"""A headless wlroots compositor for the Wayland typing tests: Debian's sway with its headless backend, and foot
windows running ``cat`` into a file (the app the dashboard types into).

sway refuses to run as root ("Unable to drop root"); CI runs as root, so sway and foot run as an ordinary user
that this module creates when it is missing (``useradd``), with a private XDG_RUNTIME_DIR that user owns. The
dashboard, wtype and wl-copy run as the test's own user, pointed at that user's Wayland socket.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

USER = "dictate-wayland"
TOOLS = ("sway", "swaymsg", "foot", "wtype", "wl-copy", "wl-paste")
# foot pastes with ctrl+shift+v; bound to ctrl+v here, as most apps do, for paste typing's shortcut
FOOT_CONFIG = "[key-bindings]\nclipboard-paste=Control+v\n"


def _wait(condition: object, timeout: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def _ordinary_user() -> tuple[int, int] | None:
    """(uid, gid) to run sway as when this process is root (creating the user if needed); None otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
            capture_output=True,
            text=True,
        )
        try:
            entry = pwd.getpwnam(USER)  # a test run beside this one may have made it first
        except KeyError:
            raise AssertionError(f"cannot create the user {USER} for sway: {made.stderr.strip()}") from None
    return entry.pw_uid, entry.pw_gid


class HeadlessSway:
    """``start()`` sway headless; ``env`` points a client at it; ``terminal()`` opens a focused foot window."""

    def __init__(self) -> None:
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            pytest.fail(f"missing {', '.join(missing)}: the Wayland tests need them (scripts/setup.sh --dev)")
        self.owner = _ordinary_user()
        self.runtime = Path(tempfile.mkdtemp(prefix="dictate-sway-"))
        if self.owner is not None:
            os.chown(self.runtime, *self.owner)
        self.runtime.chmod(0o700)
        self._processes: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}

    def _spawn(self, command: list[str], extra: dict[str, str]) -> subprocess.Popen[bytes]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.runtime), "XDG_RUNTIME_DIR": str(self.runtime)}
        user = {} if self.owner is None else {"user": self.owner[0], "group": self.owner[1], "extra_groups": []}
        log = (self.runtime / f"{Path(command[0]).name}-{len(self._processes)}.log").open("wb")
        process = subprocess.Popen(command, env={**env, **extra}, stdout=log, stderr=log, cwd=self.runtime, **user)  # type: ignore[call-overload]
        self._processes.append(process)
        return process

    def start(self) -> HeadlessSway:
        config = self._write("sway.config", "output HEADLESS-1 resolution 1280x800\n")
        headless = {"WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman"}
        sway = self._spawn(["sway", "-c", str(config)], headless)
        sockets: list[Path] = []

        def ready() -> bool:
            if sway.poll() is not None:
                raise AssertionError(f"sway exited: {self.logs()}")
            sockets[:] = sorted(self.runtime.glob("wayland-*[0-9]"))
            return bool(sockets) and bool(list(self.runtime.glob("sway-ipc.*.sock")))

        _wait(ready, 20, "sway's Wayland socket")
        self.env = {
            "WAYLAND_DISPLAY": str(sockets[0]),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "SWAYSOCK": str(next(self.runtime.glob("sway-ipc.*.sock"))),
            "XDG_CURRENT_DESKTOP": "sway",
            "XDG_SESSION_TYPE": "wayland",
        }
        return self

    def _write(self, name: str, text: str) -> Path:
        path = self.runtime / name
        path.write_text(text, encoding="utf-8")
        if self.owner is not None:
            os.chown(path, *self.owner)
        return path

    def focused_app(self) -> str:
        done = subprocess.run(
            ["swaymsg", "-t", "get_tree"], env={**os.environ, **self.env}, capture_output=True, text=True, timeout=10
        )
        import json

        def find(node: dict) -> str:  # type: ignore[type-arg]
            if node.get("focused"):
                return str(node.get("app_id") or "")
            for child in node.get("nodes", []) + node.get("floating_nodes", []):
                found = find(child)
                if found:
                    return found
            return ""

        return find(json.loads(done.stdout)) if done.returncode == 0 else ""

    def terminal(self, name: str) -> FootTarget:
        """A focused foot window whose shell runs ``cat`` (not in line mode) into a file."""
        config = self._write("foot.ini", FOOT_CONFIG)
        output = self.runtime / f"{name}.txt"
        script = f"stty -icanon; exec cat > {output}"
        foot = self._spawn(
            ["foot", "-c", str(config), "--app-id", name, "sh", "-c", script],
            {"WAYLAND_DISPLAY": self.env["WAYLAND_DISPLAY"]},
        )
        _wait(lambda: output.exists() and self.focused_app() == name, 20, f"the focused foot window {name}")
        return FootTarget(foot, output)

    def clipboard(self) -> str:
        done = subprocess.run(
            ["wl-paste", "--no-newline"], env={**os.environ, **self.env}, capture_output=True, text=True, timeout=10
        )
        return done.stdout

    def copy(self, text: str) -> None:
        subprocess.run(
            ["wl-copy"], input=text.encode(), env={**os.environ, **self.env}, check=True, timeout=10,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def version(self) -> str:
        done = subprocess.run(["sway", "--version"], capture_output=True, text=True, timeout=10)
        return done.stdout.split()[-1] if done.stdout.split() else "?"

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-2000:] for path in sorted(self.runtime.glob("*.log")))

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        shutil.rmtree(self.runtime, ignore_errors=True)


class FootTarget:
    """What arrived in a foot window's ``cat``: ``raw()`` as sent, ``text()`` with backspaces applied."""

    def __init__(self, process: subprocess.Popen[bytes], output: Path) -> None:
        self.process = process
        self.output = output

    def raw(self) -> str:
        try:
            return self.output.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def text(self) -> str:
        typed: list[str] = []
        for char in self.raw():
            if char in "\x7f\b":
                if typed:
                    typed.pop()
            else:
                typed.append(char)
        return "".join(typed)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
