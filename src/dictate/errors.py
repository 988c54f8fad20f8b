"""One error tree for everything a user can cause or meet; the CLI maps it to one line and an exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses of the `dictate` command."""

    OK = 0
    ERROR = 1  # an unexpected failure (a bug): a traceback is logged
    USAGE = 2  # bad flags or settings (typer/click also uses 2)
    MODEL = 3  # the model cannot be found or loaded
    CONNECTION = 4  # the server cannot be reached, refused us, or went away
    AUDIO = 5  # no microphone, unreadable audio file, bad audio format
    PERMISSION = 6  # no permission to type (macOS Accessibility, no X display)
    INTERRUPTED = 130  # Ctrl-C


class DictateError(Exception):
    """Root of expected failures. ``str(err)`` is a one-line message for the user."""

    exit_code: ExitCode = ExitCode.ERROR


class ConfigError(DictateError):
    """A setting or flag has a value that cannot work."""

    exit_code = ExitCode.USAGE


class ModelNotFoundError(DictateError):
    """The requested model is not a local directory, not a packaged model, and not in the offline cache."""

    exit_code = ExitCode.MODEL


class ModelLoadError(DictateError):
    """The model was found but could not be loaded (corrupt file, wrong device, missing CUDA libraries)."""

    exit_code = ExitCode.MODEL


class ServerDependencyError(DictateError):
    """The `[server]` extra (or RealtimeSTT) is not installed."""

    exit_code = ExitCode.USAGE


class ConnectionFailedError(DictateError):
    """The service could not be reached or closed the connection with an error."""

    exit_code = ExitCode.CONNECTION


class AuthenticationError(ConnectionFailedError):
    """The service refused our token."""


class SessionExpiredError(ConnectionFailedError):
    """The session reached the server's maximum length (close code 4000): reconnect at once."""


class NoSpeechError(ConnectionFailedError):
    """The server closed a session that heard no speech for its limit (close code 4001): reconnect on speech."""


class ServerBusyError(ConnectionFailedError):
    """The service refused the session for now (close code 1013: session limit, model loading, or draining)."""


class AudioError(DictateError):
    """An audio file or device cannot be used."""

    exit_code = ExitCode.AUDIO


class AudioTooLongError(AudioError):
    """An audio file longer than the caller accepts (its header says so; nothing was decoded)."""


class NoMicrophoneError(AudioError):
    """No input device exists, or the chosen one cannot be opened."""


class TypingUnavailableError(DictateError):
    """Keystrokes cannot be sent: no X display, or macOS Accessibility permission missing."""

    exit_code = ExitCode.PERMISSION


class ClipboardUnavailableError(TypingUnavailableError):
    """Paste typing cannot use the clipboard: no clipboard tool installed, or it failed."""
