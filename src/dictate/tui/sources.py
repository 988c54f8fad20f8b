"""The dashboard's microphone (sounddevice), an ``AudioSource`` (``client/sources.py``, beside the file source).

It yields wire PCM frames (16 kHz mono int16, ``frame_ms`` long). The microphone's
callback runs on PortAudio's thread and only copies the block and hands it to the event loop; resampling and
framing happen in the consumer. sounddevice is imported lazily: this module must import without PortAudio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from dictate.audio import DEFAULT_FRAME_MS, FrameAccumulator, StreamConverter
from dictate.errors import NoMicrophoneError

logger = logging.getLogger(__name__)

MIC_QUEUE_BLOCKS = 200  # ~4 s of 20 ms blocks; older audio is dropped if the consumer stalls


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


class MicrophoneSource:
    """The default (or a chosen) input device at its native rate and channels, converted to wire PCM."""

    def __init__(self, device: str | None = None, frame_ms: int = DEFAULT_FRAME_MS) -> None:
        self._device = _device_argument(device)
        self.wait_for_server = False
        self._frame_ms = frame_ms
        self.description = "default microphone" if device is None else f"input {device}"

    def _open_parameters(self) -> tuple[int, int, str]:
        sd = _sounddevice()
        try:
            info = sd.query_devices(self._device, "input")
        except (sd.PortAudioError, ValueError) as exc:
            which = "no default input device" if self._device is None else f"no input device {self._device!r}"
            raise NoMicrophoneError(f"{which}: {exc}; list devices with `dictate tui --list-devices`") from exc
        channels = max(1, min(2, int(info["max_input_channels"])))
        return int(info["default_samplerate"]), channels, str(info["name"])

    async def frames(self) -> AsyncIterator[bytes]:
        sd = _sounddevice()
        rate, channels, name = self._open_parameters()
        self.description = name
        loop = asyncio.get_running_loop()
        blocks: asyncio.Queue[np.ndarray] = asyncio.Queue(maxsize=MIC_QUEUE_BLOCKS)

        def enqueue(block: np.ndarray) -> None:  # on the event loop
            if blocks.full():
                blocks.get_nowait()  # drop the oldest block rather than grow without bound
            blocks.put_nowait(block)

        def callback(indata: np.ndarray, _frames: int, _time: object, status: object) -> None:
            # PortAudio's thread: copy and enqueue, nothing else.
            with contextlib.suppress(RuntimeError):  # RuntimeError: the loop is closing
                loop.call_soon_threadsafe(enqueue, indata.copy())

        converter = StreamConverter(rate)
        accumulator = FrameAccumulator(self._frame_ms)
        try:
            stream = sd.InputStream(
                device=self._device,
                samplerate=rate,
                channels=channels,
                dtype="float32",
                blocksize=max(1, rate * self._frame_ms // 1000),
                callback=callback,
            )
        except (sd.PortAudioError, ValueError) as exc:
            raise NoMicrophoneError(f"cannot open the microphone {name!r}: {exc}") from exc
        logger.info("microphone %r open: %d Hz, %d channel(s)", name, rate, channels)
        with stream:
            while True:
                block = await blocks.get()
                for frame in accumulator.push(converter.push(block)):
                    yield frame


__all__ = ["InputDevice", "MicrophoneSource", "list_input_devices"]
