"""Per-app profiles: the config file's [profiles.NAME] tables, matching the focused app, the typing they ask for."""

from __future__ import annotations

from pathlib import Path

import pytest

from dictate.config import ClientSettings, Profile, TypingMode
from dictate.errors import ConfigError
from dictate.profiles import FocusedApp, app_typing, match_profile, session_vocabulary

CONFIG = """
type_mode = "paste"

[profiles.terminal]
match = ["xterm", "*kitty*", "com.apple.Terminal"]
type_mode = "final"
first_capital = false
final_full_stop = false
commands = false

[profiles.terminal.replace]
"list files" = "ls"

[profiles.chat]
match = ["Slack", "org.telegram.desktop"]
final_full_stop = false
"""


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ClientSettings:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("DICTATE_CONFIG", str(path))
    return ClientSettings()


def test_profiles_are_read_from_the_config_file_in_order(settings: ClientSettings) -> None:
    assert list(settings.profiles) == ["terminal", "chat"]
    assert settings.profiles["terminal"].replace == {"list files": "ls"}
    assert settings.profiles["chat"].type_mode is None  # left out: the dashboard's own


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("xterm", "XTerm"), "terminal"),
        (("kitty",), "terminal"),  # a wildcard
        (("KITTY-quick",), "terminal"),  # case ignored
        (("com.apple.Terminal",), "terminal"),
        (("slack", "Slack"), "chat"),
        (("firefox", "Firefox"), None),
    ],
)
def test_the_first_profile_naming_the_app_matches(
    settings: ClientSettings, names: tuple[str, ...], expected: str
) -> None:
    assert match_profile(settings.profiles, FocusedApp(names)) == expected


def test_an_unknown_app_matches_no_profile(settings: ClientSettings) -> None:
    assert match_profile(settings.profiles, None) is None


def test_a_profile_overrides_only_what_it_sets(settings: ClientSettings) -> None:
    terminal = app_typing(settings, "terminal")
    assert terminal.profile == "terminal" and terminal.mode is TypingMode.FINAL and not terminal.commands
    assert terminal.shaping("List files.") == "ls"
    chat = app_typing(settings, "chat")
    assert chat.mode is None and chat.commands  # the dashboard's own
    assert chat.typing_mode(TypingMode.PASTE) is TypingMode.PASTE
    assert chat.shaping("See you soon.") == "See you soon"
    none = app_typing(settings, None)
    assert none.profile is None and not none.shaping.changes_text


def test_typing_switched_off_stays_off_whatever_the_profile(settings: ClientSettings) -> None:
    assert app_typing(settings, "terminal").typing_mode(TypingMode.OFF) is TypingMode.OFF
    assert app_typing(settings, "terminal").typing_mode(TypingMode.LIVE) is TypingMode.FINAL


def test_the_dashboard_settings_shape_finals_without_a_profile() -> None:
    settings = ClientSettings(first_capital=False, final_full_stop=False)
    assert app_typing(settings, None).shaping("Hello there.") == "hello there"


def test_a_bad_profile_is_one_line_naming_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.chat]\nmatch = ["Slack"]\nfinal_fullstop = false\n', encoding="utf-8")
    monkeypatch.setenv("DICTATE_CONFIG", str(path))
    with pytest.raises(ConfigError, match=r"profiles\.chat\.final_fullstop") as error:
        ClientSettings()
    assert "\n" not in str(error.value)
    path.write_text('[profiles.chat]\ntype_mode = "paste"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"profiles\.chat\.match"):
        ClientSettings()


def test_a_profile_vocabulary_is_added_to_the_users_at_the_start() -> None:
    words = ("Kubernetes",)
    per_profile = {"editor": ("gRPC", "Kubernetes", "asyncio")}
    assert session_vocabulary(words, per_profile, "editor") == (("Kubernetes", "gRPC", "asyncio"), None)
    assert session_vocabulary(words, per_profile, "chat") == (words, None)
    assert session_vocabulary(words, per_profile, None) == (words, None)
    too_many = {"editor": tuple(f"word{i}" for i in range(100))}
    kept, problem = session_vocabulary(words, too_many, "editor")
    assert kept == words and problem is not None and "only yours" in problem


def test_profile_model_refuses_an_empty_match() -> None:
    with pytest.raises(ValueError):
        Profile(match=[])


def test_config_show_writes_profiles_as_tables_that_read_back(settings: ClientSettings) -> None:
    import tomllib

    from dictate.configfile import effective_values, to_toml

    shown = tomllib.loads(to_toml(effective_values(settings)))
    assert shown["profiles"]["terminal"] == {
        "match": ["xterm", "*kitty*", "com.apple.Terminal"],
        "type_mode": "final",
        "first_capital": False,
        "final_full_stop": False,
        "commands": False,
        "replace": {"list files": "ls"},
    }
    assert shown["profiles"]["chat"] == {"match": ["Slack", "org.telegram.desktop"], "final_full_stop": False}


def test_the_status_bar_shows_the_profile_only_when_there_are_profiles() -> None:
    from dictate.tui.view import StatusInfo, status_markup

    assert "profile" not in status_markup(StatusInfo())
    assert status_markup(StatusInfo(profile="chat")).endswith("[b]profile[/] chat")
    assert status_markup(StatusInfo(profile="-")).endswith("[b]profile[/] -")
