"""A private PulseAudio server for the microphone tests: null sinks whose monitors are the 'microphones'.

Debian's ``pulseaudio`` (with ``libasound2-plugins``, so that PortAudio's ALSA backend reaches it), started
as this test's own child process with a private runtime directory, no default script and no hardware
modules. ``play()`` plays a clip into a sink with ``paplay``, which its monitor source 'hears'.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

MIC_SINK = "vmic"  # its monitor is the default source
SECOND_SINK = "vmic2"
TOOLS = ("pulseaudio", "pactl", "paplay")


class SoundServer:
    """One PulseAudio process; ``stop()`` kills it (as a crash would), ``start()`` brings it back."""

    def __init__(self, runtime_dir: Path | None = None) -> None:
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            pytest.fail(
                f"{', '.join(missing)} not installed: the microphone tests need a sound server "
                "(scripts/setup.sh --dev installs pulseaudio pulseaudio-utils libasound2-plugins)"
            )
        self.runtime_dir = runtime_dir or Path(tempfile.mkdtemp(prefix="dictate-pulse-"))
        self.runtime_dir.chmod(0o700)
        self.socket = self.runtime_dir / "pulse" / "native"
        self.env = {
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_COOKIE": str(self.runtime_dir / "cookie"),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> SoundServer:
        """Start the server with a 48 kHz stereo sink (default source: its monitor) and a 44.1 kHz mono one."""
        self.process = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "--system=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "--disallow-module-loading=no",
                "-n",  # no default script: no hardware, X11 or D-Bus modules
                "--load=module-native-protocol-unix auth-anonymous=1",
                "--log-target=stderr",
            ],
            env={**os.environ, **self.env, "HOME": str(self.runtime_dir)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while self._pactl("info", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("pulseaudio did not start")
            time.sleep(0.1)
        self._pactl("load-module", "module-null-sink", f"sink_name={MIC_SINK}", "rate=48000", "channels=2")
        self._pactl("load-module", "module-null-sink", f"sink_name={SECOND_SINK}", "rate=44100", "channels=1")
        self._pactl("set-default-source", f"{MIC_SINK}.monitor")
        return self

    def _pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args], env={**os.environ, **self.env}, capture_output=True, text=True, timeout=10, check=check
        )

    def play(self, clip: Path, sink: str = MIC_SINK) -> subprocess.Popen[bytes]:
        """Start playing ``clip`` into ``sink`` (the caller may wait for the returned process)."""
        return subprocess.Popen(
            ["paplay", "-d", sink, str(clip)],
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """Kill the server now (SIGKILL: no goodbye to its clients)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
