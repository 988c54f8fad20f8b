"""`dictate tui` command. Light on purpose: Textual, sounddevice and pynput are imported in the function."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from dictate.config import HotkeyMode, TypingBackend, TypingMode
from dictate.options import EmbeddedModelOption, HistoryPathOption, ServerOption, TokenOption, VocabularyOption

logger = logging.getLogger(__name__)


def _log_to(path: Path | None, debug: bool) -> None:
    """Send logs to a file (or nowhere visible): a terminal UI must never get stray writes on its screen."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    if path is not None:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    else:
        from textual.logging import TextualHandler

        root.addHandler(TextualHandler())
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("websockets").setLevel(logging.INFO)  # frame dumps are noise


def _print_devices() -> None:
    from dictate.tui.sources import list_input_devices, pulse_sources

    devices = list_input_devices()
    sources = pulse_sources()
    if not devices and not sources:
        typer.echo("no input devices found (use --source FILE to dictate from a WAV file)")
        return
    for device in devices:
        mark = "*" if device.is_default else " "
        typer.echo(f"{mark} {device.index:3d}  {device.name}  ({device.channels} ch, {device.default_rate} Hz)")
    if sources:
        typer.echo("sound server sources (PulseAudio/PipeWire; pick one with --input-device NAME):")
        for source in sources:
            mark = "*" if source.is_default else " "
            typer.echo(f"{mark}      {source.name}  ({source.channels} ch, {source.rate} Hz)")


def tui_command(
    server: ServerOption = None,
    token: TokenOption = None,
    model: EmbeddedModelOption = None,
    start_on: Annotated[bool | None, typer.Option("--on", help="Start listening at once [DICTATE_START_ON].")] = None,
    source: Annotated[
        Path | None,
        typer.Option(help="Dictate from this audio file at real-time pace instead of the microphone."),
    ] = None,
    record_pcm: Annotated[
        Path | None,
        typer.Option(help="Write the PCM sent to the server here (play: ffplay -f s16le -ar 16000 -ac 1 FILE)."),
    ] = None,
    type_mode: Annotated[
        TypingMode | None,
        typer.Option(
            "--type",
            help="final: type each final utterance; live: type as words firm up; paste: paste each final "
            "through the clipboard (restored after); off.",
        ),
    ] = None,
    typing_backend: Annotated[
        TypingBackend | None,
        typer.Option(
            help="What sends the keys: auto, pynput (X11, macOS), wtype (sway, Hyprland...), ydotool, dotool "
            "[DICTATE_TYPING_BACKEND; auto].",
        ),
    ] = None,
    input_device: Annotated[
        str | None,
        typer.Option(help="Input device index or name [DICTATE_INPUT_DEVICE]; see --list-devices."),
    ] = None,
    list_devices: Annotated[bool, typer.Option("--list-devices", help="List input devices and exit.")] = False,
    hotkey: Annotated[
        str | None,
        typer.Option(help="Global ON/OFF hotkey, pynput syntax [DICTATE_HOTKEY; <ctrl>+<alt>+<space>]."),
    ] = None,
    global_hotkey: Annotated[
        bool | None, typer.Option(help="Listen for the global hotkey [DICTATE_GLOBAL_HOTKEY; on].")
    ] = None,
    hotkey_mode: Annotated[
        HotkeyMode | None,
        typer.Option(
            "--mode",
            help="toggle: the hotkey switches ON/OFF; hold: push-to-talk, listen while it is held "
            "[DICTATE_HOTKEY_MODE; toggle].",
        ),
    ] = None,
    commands: Annotated[
        bool | None,
        typer.Option(
            "--commands/--no-commands",
            help="Voice commands: new line, new paragraph, scratch that, stop listening [DICTATE_COMMANDS; on].",
        ),
    ] = None,
    history_path: HistoryPathOption = None,
    vocabulary: VocabularyOption = None,
    log_file: Annotated[
        Path | None, typer.Option(help="Write logs here (never the dictated text) [DICTATE_LOG_FILE].")
    ] = None,
    debug: Annotated[
        bool | None, typer.Option(help="Debug logging (keystroke counts and timings) [DICTATE_DEBUG; off].")
    ] = None,
) -> None:
    """Open the dictation dashboard: press space (or the global hotkey) and speak into any app."""
    from dictate.errors import AudioError
    from dictate.options import client_settings

    if list_devices:
        _print_devices()
        return
    if source is not None and not source.is_file():
        raise AudioError(f"no such audio file: {source}")
    settings = client_settings(
        server=server,
        token=token,
        model=model,
        start_on=start_on,
        type_mode=type_mode,
        typing_backend=typing_backend,
        input_device=input_device,
        hotkey=hotkey,
        global_hotkey=global_hotkey,
        hotkey_mode=hotkey_mode,
        commands=commands,
        history_path=history_path,
        vocabulary=vocabulary,
        log_file=log_file,
        debug=debug,
    )
    _log_to(settings.log_file, settings.debug)

    from dictate.tui.app import DictateApp, TuiOptions
    from dictate.tui.control import control_unavailable_reason, socket_path
    from dictate.vocabulary import load_vocabulary

    options = TuiOptions(
        settings=settings,
        source=source,
        record_pcm=record_pcm,
        start_on=settings.start_on,
        global_hotkey=settings.global_hotkey,
        vocabulary=load_vocabulary(settings.vocabulary),
        profile_vocabulary={
            name: load_vocabulary(profile.vocabulary)
            for name, profile in settings.profiles.items()
            if profile.vocabulary is not None
        },
        control_socket=None if control_unavailable_reason() else socket_path(),
    )
    DictateApp(options).run()
