"""The user's vocabulary file (`--vocabulary FILE`, `vocabulary` in the config file): words and phrases the
server should favour for this session (``start.vocabulary``, feature ``vocabulary``). Client side; light."""

from __future__ import annotations

from pathlib import Path

from dictate.errors import ConfigError
from dictate.protocol import ProtocolError, check_vocabulary


def parse_vocabulary(text: str) -> list[str]:
    """One word or phrase per line; blank lines and lines starting with '#' are skipped."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def load_vocabulary(path: Path | None) -> tuple[str, ...]:
    """The file's entries, checked against the protocol's cap (ConfigError naming the file); () for None."""
    if path is None:
        return ()
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the vocabulary file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        return check_vocabulary(parse_vocabulary(text))
    except ProtocolError as exc:
        raise ConfigError(f"{path}: {exc.message}") from exc


__all__ = ["load_vocabulary", "parse_vocabulary"]
