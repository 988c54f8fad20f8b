"""Per-app profiles: which profile the focused application matches, and how a final is typed there. Pure.

A profile (``[profiles.NAME]`` in the config file, ``client_config.Profile``) lists the applications it is
for: X11 ``WM_CLASS`` names, Wayland ``app_id``s, macOS bundle ids (case ignored, shell wildcards allowed).
The first profile in the file that names the focused application wins; a setting it leaves out is the
dashboard's own. ``tui/focus.py`` finds the focused application; ``tui/profile_gate.py`` asks before each final.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dictate.client_config import ClientSettings, Profile
from dictate.protocol import ProtocolError, check_vocabulary
from dictate.replacements import Replacements
from dictate.shaping import Shaping
from dictate.transcript import TypingMode


@dataclass(frozen=True)
class FocusedApp:
    """What the desktop says about the focused window: its names (WM_CLASS instance and class, app_id,
    bundle id), most specific first."""

    names: tuple[str, ...]

    def __str__(self) -> str:
        return "/".join(self.names) or "?"


def matches(pattern: str, name: str) -> bool:
    """Whether one ``match`` entry names an application name (case ignored, shell wildcards)."""
    return fnmatch.fnmatchcase(name.casefold(), pattern.strip().casefold())


def match_profile(profiles: Mapping[str, Profile], app: FocusedApp | None) -> str | None:
    """The name of the first profile whose ``match`` names the application (None: none does, or unknown)."""
    if app is None:
        return None
    for name, profile in profiles.items():
        if any(matches(pattern, app_name) for pattern in profile.match for app_name in app.names):
            return name
    return None


@dataclass(frozen=True)
class AppTyping:
    """How finals are typed in the focused application: the dashboard's settings with a profile's overrides."""

    profile: str | None = None  # None: no profile applies
    mode: TypingMode | None = None  # None: the dashboard's typing mode (the `m` key's)
    commands: bool = True
    shaping: Shaping = field(default_factory=Shaping)
    vocabulary: Path | None = None  # the profile's words file (added at the start of a dictation)

    def typing_mode(self, chosen: TypingMode) -> TypingMode:
        """The mode to type in when the user chose ``chosen``: typing switched off stays off."""
        return chosen if chosen is TypingMode.OFF or self.mode is None else self.mode


def app_typing(settings: ClientSettings, profile_name: str | None) -> AppTyping:
    """How to type with ``profile_name`` (None: no profile) over the dashboard's ``settings``. The settings'
    own replacements are not in it: the stream applies them to every interim and final already."""
    profile = settings.profiles.get(profile_name) if profile_name is not None else None
    if profile is None:
        shaping = Shaping(first_capital=settings.first_capital, final_full_stop=settings.final_full_stop)
        return AppTyping(commands=settings.commands, shaping=shaping)
    replacements = Replacements(profile.replace)
    shaping = Shaping(
        first_capital=_either(profile.first_capital, settings.first_capital),
        final_full_stop=_either(profile.final_full_stop, settings.final_full_stop),
        replace=replacements if replacements else None,
    )
    return AppTyping(
        profile=profile_name,
        mode=profile.type_mode,
        commands=_either(profile.commands, settings.commands),
        shaping=shaping,
        vocabulary=profile.vocabulary,
    )


def session_vocabulary(
    words: tuple[str, ...], profile_words: Mapping[str, tuple[str, ...]], profile: str | None
) -> tuple[tuple[str, ...], str | None]:
    """The vocabulary a dictation sends at its start when ``profile`` matched the app focused then: the user's
    words, then the profile's (a per-app vocabulary is chosen once per dictation: the server takes it in the
    session's start message). Past the protocol's cap only the user's words go, with a message saying so."""
    extra = profile_words.get(profile or "", ())
    if not extra:
        return words, None
    try:
        return check_vocabulary(list(dict.fromkeys(words + extra))), None
    except ProtocolError as exc:
        return words, f"profile {profile}: its vocabulary and yours together: {exc.message}; only yours is sent"


def _either(override: bool | None, default: bool) -> bool:
    return default if override is None else override


__all__ = ["AppTyping", "FocusedApp", "app_typing", "match_profile", "matches", "session_vocabulary"]
