"""The one message dispatcher: each server message goes to the callback for its type.

The stream (``client/stream.py``) says what it does with a ready, an interim, a final and an error message; the
user's word replacements (the config file's ``replace`` table, on interim and final text) are applied here once,
for the dashboard and ``dictate transcribe`` alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from dictate.protocol import ErrorMessage, FinalMessage, InterimMessage, ReadyMessage, ServerMessage

_Text = TypeVar("_Text", InterimMessage, FinalMessage)


@dataclass(frozen=True)
class Dispatcher:
    """Callbacks by message type; a type without one is ignored. Called on the event loop.

    ``rewrite`` (e.g. ``Replacements(settings.replace)``) turns the text of every interim and final before its
    callback sees it; None leaves the server's text as it is (the benchmark scores the model's own words).
    """

    ready: Callable[[ReadyMessage], None] | None = None
    interim: Callable[[InterimMessage], None] | None = None
    final: Callable[[FinalMessage], None] | None = None
    error: Callable[[ErrorMessage], None] | None = None
    rewrite: Callable[[str], str] | None = None

    def __call__(self, message: ServerMessage) -> None:
        """Route one message."""
        match message:
            case ReadyMessage():
                if self.ready is not None:
                    self.ready(message)
            case InterimMessage():
                if self.interim is not None:
                    self.interim(self._rewritten(message))
            case FinalMessage():
                if self.final is not None:
                    self.final(self._rewritten(message))
            case ErrorMessage():
                if self.error is not None:
                    self.error(message)

    def _rewritten(self, message: _Text) -> _Text:
        if self.rewrite is None:
            return message
        return replace(message, text=self.rewrite(message.text))
