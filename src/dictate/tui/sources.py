"""The dashboard's microphone (sounddevice), an ``AudioSource`` (``client/sources.py``, beside the file source).

It yields wire PCM frames (16 kHz mono int16, ``frame_ms`` long). The microphone's
callback runs on PortAudio's thread and only copies the block and hands it to the event loop; resampling and
framing happen in the consumer. sounddevice is imported lazily: this module must import without PortAudio.

On Linux, PortAudio reaches PulseAudio (or PipeWire's pulse server) through ALSA's ``pulse`` device, which
records from the server's default source; the other sources are listed by ``pactl`` (pulse.py) and picked by
name through the ``pulse`` device and ``PULSE_SOURCE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from dictate.audio import DEFAULT_FRAME_MS, FrameAccumulator, StreamConverter
from dictate.errors import NoMicrophoneError
from dictate.tui.pulse import PulseSource, pulse_sources

logger = logging.getLogger(__name__)

MIC_QUEUE_BLOCKS = 200  # ~4 s of 20 ms blocks; older audio is dropped if the consumer stalls
MIC_SILENT_TIMEOUT_S = 2.0  # a stream that delivers no block for this long has lost its device
PULSE_DEVICE = "pulse"  # ALSA's PulseAudio device, as PortAudio lists it


@dataclass(frozen=True)
class InputDevice:
    """One input device as sounddevice reports it."""

    index: int
    name: str
    channels: int
    default_rate: int
    is_default: bool


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # libportaudio missing
        raise NoMicrophoneError(f"cannot use audio devices: {exc} (install libportaudio2)") from exc
    return sounddevice


def list_input_devices() -> list[InputDevice]:
    """The input devices of this machine (empty when there are none)."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        default_input = sd.default.device[0]
    except sd.PortAudioError as exc:
        raise NoMicrophoneError(f"cannot list audio devices: {exc}") from exc
    return [
        InputDevice(
            index=index,
            name=str(info["name"]),
            channels=int(info["max_input_channels"]),
            default_rate=int(info["default_samplerate"]),
            is_default=index == default_input,
        )
        for index, info in enumerate(devices)
        if int(info["max_input_channels"]) > 0
    ]


def _device_argument(device: str | None) -> int | str | None:
    if device is None or device == "":
        return None
    return int(device) if device.isdigit() else device


@contextlib.contextmanager
def _pulse_source(name: str | None) -> Iterator[None]:
    """Within the block, PulseAudio clients opened by this process record from ``name`` (None: no change).

    The ALSA ``pulse`` plugin reads ``PULSE_SOURCE`` when the stream opens; it is restored afterwards.
    """
    if name is None:
        yield
        return
    previous = os.environ.get("PULSE_SOURCE")
    os.environ["PULSE_SOURCE"] = name
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PULSE_SOURCE", None)
        else:
            os.environ["PULSE_SOURCE"] = previous


@dataclass(frozen=True)
class _OpenParameters:
    device: int | str | None
    rate: int
    channels: int
    name: str
    pulse_source: str | None


def microphone_lost_message(name: str) -> str:
    """The dashboard's words for a microphone that stopped delivering audio."""
    return (
        f"the microphone {name!r} stopped sending audio (unplugged, or the sound server stopped); "
        "press space to try again"
    )


class MicrophoneSource:
    """The default (or a chosen) input device at its native rate and channels, converted to wire PCM.

    ``device`` is a PortAudio index or name, or the name of a PulseAudio source (``--list-devices`` shows
    both). A device that goes away mid-stream ends ``frames()`` with a ``NoMicrophoneError``.
    """

    def __init__(self, device: str | None = None, frame_ms: int = DEFAULT_FRAME_MS) -> None:
        self._device = _device_argument(device)
        self.wait_for_server = False
        self._frame_ms = frame_ms
        self.description = "default microphone" if device is None else f"input {device}"

    def _open_parameters(self) -> _OpenParameters:
        sd = _sounddevice()
        pulse = self._pulse_match()
        device = PULSE_DEVICE if pulse is not None else self._device
        try:
            info = sd.query_devices(device, "input")
        except (sd.PortAudioError, ValueError) as exc:
            which = "no default input device" if self._device is None else f"no input device {self._device!r}"
            raise NoMicrophoneError(f"{which}: {exc}; list devices with `dictate tui --list-devices`") from exc
        if pulse is not None:  # the source's own format: PulseAudio need not convert it
            return _OpenParameters(device, pulse.rate, max(1, min(2, pulse.channels)), pulse.name, pulse.name)
        channels = max(1, min(2, int(info["max_input_channels"])))
        return _OpenParameters(device, int(info["default_samplerate"]), channels, str(info["name"]), None)

    def _pulse_match(self) -> PulseSource | None:
        if not isinstance(self._device, str):
            return None
        return next((source for source in pulse_sources() if source.name == self._device), None)

    async def frames(self) -> AsyncIterator[bytes]:
        sd = _sounddevice()
        params = self._open_parameters()
        self.description = params.name
        loop = asyncio.get_running_loop()
        blocks: asyncio.Queue[np.ndarray | None] = asyncio.Queue(maxsize=MIC_QUEUE_BLOCKS)

        def enqueue(block: np.ndarray | None) -> None:  # on the event loop; None: the stream ended
            if blocks.full():
                blocks.get_nowait()  # drop the oldest block rather than grow without bound
            blocks.put_nowait(block)

        def callback(indata: np.ndarray, _frames: int, _time: object, status: object) -> None:
            # PortAudio's thread: copy and enqueue, nothing else.
            with contextlib.suppress(RuntimeError):  # RuntimeError: the loop is closing
                loop.call_soon_threadsafe(enqueue, indata.copy())

        def finished() -> None:  # PortAudio's thread: the stream stopped (closed by us, or its device is gone)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(enqueue, None)

        converter = StreamConverter(params.rate)
        accumulator = FrameAccumulator(self._frame_ms)
        try:
            with _pulse_source(params.pulse_source):
                stream = sd.InputStream(
                    device=params.device,
                    samplerate=params.rate,
                    channels=params.channels,
                    dtype="float32",
                    blocksize=max(1, params.rate * self._frame_ms // 1000),
                    callback=callback,
                    finished_callback=finished,
                )
                stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise NoMicrophoneError(f"cannot open the microphone {params.name!r}: {exc}") from exc
        logger.info("microphone %r open: %d Hz, %d channel(s)", params.name, params.rate, params.channels)
        with stream:
            while True:
                try:
                    block = await asyncio.wait_for(blocks.get(), MIC_SILENT_TIMEOUT_S)
                except TimeoutError:
                    block = None  # a stalled stream: some backends stop calling back without finishing
                if block is None:
                    logger.warning("microphone %r stopped delivering audio", params.name)
                    raise NoMicrophoneError(microphone_lost_message(params.name))
                for frame in accumulator.push(converter.push(block)):
                    yield frame


__all__ = [
    "InputDevice",
    "MicrophoneSource",
    "PulseSource",
    "list_input_devices",
    "microphone_lost_message",
    "pulse_sources",
]
