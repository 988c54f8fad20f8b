"""PulseAudio (and PipeWire's pulse server) sources, as ``pactl`` lists them.

PortAudio's ALSA backend shows the sound server as one device (``pulse``, and ``default`` routed to it), which
records from the server's default source. The other sources (a second microphone, a headset, a sink's
``.monitor``) exist only on the server: they are listed here and recorded through the ``pulse`` device with
``PULSE_SOURCE`` set (sources.py). Without ``pactl`` or a running server the list is empty.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from dataclasses import dataclass

logger = logging.getLogger(__name__)

PACTL_TIMEOUT_S = 3.0
_SPEC = re.compile(r"(?P<channels>\d+)ch\s+(?P<rate>\d+)Hz")


@dataclass(frozen=True)
class PulseSource:
    """One source of the sound server."""

    name: str
    channels: int
    rate: int
    is_default: bool = False


def parse_sources(listing: str, default: str = "") -> list[PulseSource]:
    """Sources from ``pactl list short sources`` (tab-separated: index, name, driver, 's16le 2ch 48000Hz', state)."""
    sources = []
    for line in listing.splitlines():
        fields = line.split("\t")
        if len(fields) < 4:
            continue
        spec = _SPEC.search(fields[3])
        if spec is None:
            continue
        name = fields[1].strip()
        sources.append(PulseSource(name, int(spec["channels"]), int(spec["rate"]), name == default))
    return sources


def _pactl(*args: str) -> str | None:
    pactl = shutil.which("pactl")
    if pactl is None:
        return None
    try:
        done = subprocess.run(
            [pactl, *args], capture_output=True, text=True, timeout=PACTL_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("pactl %s failed: %s", " ".join(args), exc)
        return None
    return done.stdout if done.returncode == 0 else None


def pulse_sources() -> list[PulseSource]:
    """The sound server's sources (empty without ``pactl`` or a reachable server)."""
    listing = _pactl("list", "short", "sources")
    if not listing:
        return []
    return parse_sources(listing, (_pactl("get-default-source") or "").strip())


__all__ = ["PulseSource", "parse_sources", "pulse_sources"]
