"""Settings of the clients (`dictate tui`, `transcribe`, `bench`, `history`): flags > DICTATE_* environment >
the config file > defaults. Every option of those commands is a field here, named as its Python parameter,
except the few that only make sense for one run (tests/unit/test_cli_settings.py lists them, with reasons).
Import them from ``dictate.config`` or from here."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from dictate.configfile import ConfigFileSource, DictateSettings
from dictate.transcript import TypingMode


class TypingBackend(str, Enum):
    """What sends the keystrokes (see dictate.tui.backends for how ``auto`` chooses)."""

    AUTO = "auto"  # from the session (WAYLAND_DISPLAY, XDG_SESSION_TYPE, DISPLAY) and the tools on the PATH
    PYNPUT = "pynput"  # X11 (through XTEST), macOS, Windows
    WTYPE = "wtype"  # Wayland: the virtual-keyboard protocol of wlroots compositors (sway, Hyprland, river, labwc)
    YDOTOOL = "ydotool"  # any desktop: kernel uinput through ydotoold
    DOTOOL = "dotool"  # any desktop: kernel uinput (the user may write /dev/uinput)


class HotkeyMode(str, Enum):
    """What the global hotkey does."""

    TOGGLE = "toggle"  # press for ON, press again for OFF
    HOLD = "hold"  # push-to-talk: ON while held, OFF (and the final text typed) on release


class Profile(BaseModel):
    """Settings for the applications a profile matches (the config file's ``[profiles.NAME]`` tables); a
    setting left out is the dashboard's own. Matched when each final is about to be typed."""

    model_config = ConfigDict(extra="forbid")

    match: list[str] = Field(
        min_length=1,
        description="The applications: X11 WM_CLASS (instance or class), Wayland app_id (sway, Hyprland) or macOS "
        "bundle id; case ignored, shell wildcards allowed ('*term*').",
    )
    type_mode: TypingMode | None = Field(None, description="final, live, paste or off in these applications.")
    replace: dict[str, str] = Field(
        default_factory=dict, description="More word replacements, applied after the dashboard's own."
    )
    vocabulary: Path | None = Field(
        None, description="Words file added to the dashboard's vocabulary when a dictation starts in this app."
    )
    commands: bool | None = Field(None, description="Voice commands in these applications.")
    first_capital: bool | None = Field(None, description="Keep the capital of a final's first word.")
    final_full_stop: bool | None = Field(None, description="Keep the full stop at the end of a final.")


class ClientSettings(DictateSettings):
    """Settings of the clients: `dictate tui`, `dictate transcribe`, `dictate bench` (env prefix DICTATE_).

    Every field can also be set in the config file (`dictate config path`), below flags and environment."""

    server: str | None = Field(
        None,
        description="ws:// or wss:// URL of the service's /stream endpoint; unset = start one embedded.",
    )
    token: SecretStr | None = Field(None, description="Shared secret sent as 'Authorization: Bearer ...'.")
    model: str | None = Field(None, description="Model of the embedded server (see ServerSettings.model).")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to wait for the WebSocket handshake.")
    embedded_start_timeout: float = Field(
        180.0, gt=0, description="Seconds to wait for an embedded server to load its model."
    )
    type_mode: TypingMode = Field(
        TypingMode.FINAL,
        description="final, live, paste (each final through the clipboard, which is restored after) or off.",
    )
    paste_restore_delay: float = Field(
        0.5,
        ge=0,
        le=10,
        description="Paste typing: seconds between the paste shortcut and putting the old clipboard back "
        "(the focused app must have read the text by then).",
    )
    typing_backend: TypingBackend = Field(
        TypingBackend.AUTO,
        description="What sends the keys: auto (chosen from the session and the tools installed), pynput "
        "(X11, macOS, Windows), wtype (sway, Hyprland, river, labwc), ydotool or dotool (any desktop, /dev/uinput).",
    )
    hotkey: str = Field("<ctrl>+<alt>+<space>", description="Global ON/OFF hotkey (pynput GlobalHotKeys syntax).")
    hotkey_mode: HotkeyMode = Field(
        HotkeyMode.TOGGLE,
        description="toggle: the hotkey switches ON and OFF; hold: push-to-talk, listen while the hotkey is "
        "held, type the final text on release (a press under 0.3 s does nothing).",
    )
    commands: bool = Field(
        True,
        description="Voice commands: an utterance that is only 'new line', 'new paragraph', 'scratch that' "
        "or 'stop listening' does that instead of being typed.",
    )
    start_on: bool = Field(False, description="Start the dashboard listening (ON) at once (`dictate tui --on`).")
    global_hotkey: bool = Field(
        True, description="Listen for the global hotkey in every app; false: only the dashboard's own keys."
    )
    input_device: str | None = Field(None, description="Input device name or index; default: the system's.")
    final_grace: float = Field(
        5.0, ge=0, description="After OFF, seconds to wait for the last final text (it is still typed)."
    )
    history_path: Path | None = Field(
        None,
        description="SQLite file of the dashboard's history; default: <user data dir>/dictate/history.sqlite3",
    )
    vocabulary: Path | None = Field(
        None,
        description="Words file (one word or phrase per line, # comments): the server favours them in this "
        "client's sessions (at most 100 entries, 600 characters).",
    )
    replace: dict[str, str] = Field(
        default_factory=dict,
        description="Word replacements applied to final text before it is typed: the model's spelling -> yours "
        "(whole words; an all-lowercase key matches any case, a key with capitals matches exactly).",
    )
    first_capital: bool = Field(
        True,
        description="Keep the capital Whisper puts on a final's first word; false: lower it (not 'I', not acronyms).",
    )
    final_full_stop: bool = Field(
        True, description="Keep the full stop Whisper puts at the end of a final; false: drop it."
    )
    profiles: dict[str, Profile] = Field(
        default_factory=dict,
        description="Per-app profiles ([profiles.NAME] tables): the first whose match names the focused "
        "application overrides type_mode, replace, vocabulary, commands, first_capital, final_full_stop.",
    )
    log_file: Path | None = Field(
        None, description="The dashboard writes its logs to this file (never the dictated text); unset: none."
    )
    debug: bool = Field(False, description="The dashboard logs at debug level (keystroke counts and timings).")
    show_interim: bool = Field(
        True, description="`dictate transcribe` shows interim text in place (only when stdout is a terminal)."
    )
    transcribe_speed: float = Field(
        1.0,
        ge=0,
        description="`dictate transcribe` streams at this many x real time: above 1 the server (which times "
        "silence by the wall clock) can merge or drop utterances; 0 sends as fast as possible.",
    )
    bench_cache_dir: Path | None = Field(
        None,
        description="Cache of the offline transcripts `dictate bench --pauses` needs; default: "
        "$XDG_CACHE_HOME/dictate/bench, else ~/.cache/dictate/bench.",
    )
    bench_metrics_url: str | None = Field(
        None,
        description="The /metrics `dictate bench --soak` samples; default: the server's own (set it when the "
        "server serves /metrics on --metrics-port).",
    )
    bench_manifest: Path | None = Field(
        None,
        description="The manifest.tsv `dictate bench` streams when given no input; default: "
        "../shared/audio/manifest.tsv when it exists.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags, then DICTATE_* environment, then config.toml, then the defaults."""
        return init_settings, env_settings, ConfigFileSource(settings_cls)
