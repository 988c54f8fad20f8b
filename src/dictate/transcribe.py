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
from dictate.audiofile import check_audio_file, read_wav_as_pcm16
from dictate.client.connection import normalise_stream_url
from dictate.client.embedded import EmbeddedServer
from dictate.client.events import Connected, ServerWarning, StreamEvent
from dictate.client.session import SessionOptions
from dictate.client.sources import PcmSource
from dictate.client.stream import Stream
from dictate.config import ClientSettings
from dictate.protocol import FinalMessage, InterimMessage
from dictate.transcript import FinalTexts, new_words

TRAILING_SILENCE_S = 1.0  # lets the server's VAD close the last utterance the natural way


class LinePrinter:
    """Prints interim text in place (one rewritten line on a terminal) and final text as whole lines.

    A final may revise the ones before it (feature ``revisions``: speech resumed after a pause), so a final's line is
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

    def new_session(self) -> None:
        """The server replaced the session (its time limit): print what is held; utterance ids start again."""
        self.flush()
        self._printed.clear()

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
    each turned by ``rewrite`` (the config file's word replacements) as printed. Raises the error that ended
    the session, naming the server's reason."""
    pcm = read_wav_as_pcm16(path) + silence(TRAILING_SILENCE_S)
    texts = FinalTexts()
    lines: list[str] = []  # of sessions replaced when the server's time limit was reached

    def on_event(event: StreamEvent) -> None:
        nonlocal texts
        match event:
            case InterimMessage():
                printer.interim(event.text)
            case FinalMessage():
                printer.final(event)
                texts.apply(event)
            case Connected() if texts.texts:  # a new session: its utterance ids start again
                printer.new_session()
                lines.extend(texts.lines)
                texts = FinalTexts()
            case ServerWarning(fatal=False):
                print(f"dictate: {event.reason}", file=sys.stderr)

    stream = Stream(
        url,
        PcmSource(pcm, f"file {path.name}", speed=speed),
        on_event,
        options=SessionOptions(revisions=True, vocabulary=vocabulary),
        token=token,
        until_source_ends=True,
        final_grace=None,  # the server closes once the last final is sent
        rewrite=rewrite,
        levels=False,
    )
    await stream.run()
    printer.flush()
    return [*lines, *texts.lines]


def run_transcribe(settings: ClientSettings, files: list[Path], speed: float = 1.0, show_interim: bool = True) -> None:
    """Transcribe each file in turn, against --server or an embedded server; the config file's ``replace``
    table turns the printed text as it does the dashboard's."""
    from dictate.replacements import Replacements
    from dictate.vocabulary import load_vocabulary

    for path in files:  # every file is checked before a server starts or the first file plays
        check_audio_file(path)
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
