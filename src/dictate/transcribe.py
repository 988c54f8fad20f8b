"""`dictate transcribe`: stream audio files to the service at real-time pace, print interim and final text."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.connection import describe_error, normalise_stream_url, open_stream, wait_ready
from dictate.client.dispatch import Dispatcher
from dictate.client.embedded import EmbeddedServer
from dictate.client.sender import stream_pcm
from dictate.config import ClientSettings
from dictate.errors import ConnectionFailedError
from dictate.protocol import ErrorMessage, FinalMessage
from dictate.transcript import FinalTexts, new_words

TRAILING_SILENCE_S = 1.0  # lets the server's VAD close the last utterance the natural way


class LinePrinter:
    """Prints interim text in place (one rewritten line on a terminal) and final text as whole lines.

    A final may revise the ones before it (protocol 1.1: speech resumed after a pause), so a final's line is
    printed once the next final shows that it stays as it is, or at the end of the file (``flush``). Should a
    revision name a line already printed, only its new words are printed.
    """

    def __init__(self, out: TextIO, show_interim: bool) -> None:
        self._out = out
        self._show_interim = show_interim
        self._interim_width = 0
        self._held = FinalTexts()  # finals not printed yet
        self._printed: dict[int, str] = {}

    def interim(self, text: str) -> None:
        if not self._show_interim:
            return
        line = f"… {text}"
        pad = max(0, self._interim_width - len(line))
        self._out.write("\r" + line + " " * pad)
        self._out.flush()
        self._interim_width = len(line)

    def final(self, message: FinalMessage) -> None:
        printed = [self._printed.pop(i) for i in message.revises if i in self._printed]
        if printed:
            message = replace(message, text=new_words(" ".join(printed), message.text))
        if any(i not in message.revises for i in self._held.texts):  # they stay as they are: print them
            self.flush()
        self._held.apply(message)

    def flush(self) -> None:
        """Print the final lines held back."""
        if not self._held.texts:
            return
        self._clear()
        for utterance_id, text in self._held.texts.items():
            self._printed[utterance_id] = text
            if text:
                self._out.write(text + "\n")
        self._held = FinalTexts()
        self._out.flush()

    def _clear(self) -> None:
        if self._interim_width:
            self._out.write("\r" + " " * self._interim_width + "\r")
            self._interim_width = 0


async def transcribe_file(
    url: str,
    token: str | None,
    path: Path,
    speed: float,
    printer: LinePrinter,
    vocabulary: tuple[str, ...] = (),
    rewrite: Callable[[str], str] | None = None,
) -> list[str]:
    """Stream one file over one session (with the vocabulary in its start message); return its final texts,
    each turned by ``rewrite`` (the config file's word replacements) as printed."""
    pcm = read_wav_as_pcm16(path) + silence(TRAILING_SILENCE_S)
    texts = FinalTexts()

    def final(message: FinalMessage) -> None:
        printer.final(message)
        texts.apply(message)

    def error(message: ErrorMessage) -> None:
        if message.fatal:
            raise ConnectionFailedError(describe_error(message))
        print(f"dictate: {describe_error(message)}", file=sys.stderr)

    dispatcher = Dispatcher(
        interim=lambda message: printer.interim(message.text), final=final, error=error, rewrite=rewrite
    )
    ws = await open_stream(url, token)
    async with ws:
        await wait_ready(ws)
        sender = asyncio.create_task(stream_pcm(ws, pcm, speed, vocabulary=vocabulary))
        try:
            await dispatcher.run(ws)
        finally:
            if not sender.done():
                sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
    printer.flush()
    return texts.lines


def run_transcribe(settings: ClientSettings, files: list[Path], speed: float = 1.0, show_interim: bool = True) -> None:
    """Transcribe each file in turn, against --server or an embedded server; the config file's ``replace``
    table turns the printed text as it does the dashboard's."""
    from dictate.replacements import Replacements
    from dictate.vocabulary import load_vocabulary

    printer = LinePrinter(sys.stdout, show_interim)
    token = settings.token.get_secret_value() if settings.token else None
    vocabulary = load_vocabulary(settings.vocabulary)
    rewrite = Replacements(settings.replace) or None
    with ExitStack() as stack:
        if settings.server:
            url = normalise_stream_url(settings.server)
        else:
            embedded = EmbeddedServer(model=settings.model, start_timeout=settings.embedded_start_timeout)
            url = stack.enter_context(embedded).url
        for path in files:
            if len(files) > 1:
                print(f"# {path}", flush=True)
            asyncio.run(transcribe_file(url, token, path, speed, printer, vocabulary, rewrite))
