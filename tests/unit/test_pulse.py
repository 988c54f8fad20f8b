"""Parsing the sound server's source list (``pactl list short sources``)."""

from __future__ import annotations

from dictate.tui.pulse import PulseSource, parse_sources

LISTING = (
    "0\tvmic.monitor\tmodule-null-sink.c\ts16le 2ch 48000Hz\tIDLE\n"
    "1\talsa_input.usb-Blue_Yeti-00.analog-stereo\tmodule-alsa-card.c\ts24le 1ch 44100Hz\tSUSPENDED\n"
    "garbage line\n"
    "2\tweird\tmodule-x.c\tfloat32le ?ch\tIDLE\n"
)


def test_sources_with_format_and_default() -> None:
    assert parse_sources(LISTING, default="alsa_input.usb-Blue_Yeti-00.analog-stereo") == [
        PulseSource("vmic.monitor", 2, 48000, False),
        PulseSource("alsa_input.usb-Blue_Yeti-00.analog-stereo", 1, 44100, True),
    ]


def test_empty_listing() -> None:
    assert parse_sources("") == []
