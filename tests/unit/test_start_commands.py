"""The feature ``commands``: the start message's commands (the phrases the client acts on), their cap, and
how the server matches them (the client's own normaliser)."""

from __future__ import annotations

import json

import pytest

from dictate.protocol import (
    FEATURES,
    MAX_COMMAND_ENTRIES,
    MAX_COMMAND_WORDS,
    ErrorCode,
    ProtocolError,
    StartFieldError,
    StartMessage,
    VocabularyError,
    check_commands,
    decode_client_control,
    encode,
)
from dictate.server.live.revisions import command_set
from dictate.voice_commands import PHRASES, normalise_phrase, parse_command


def test_start_carries_the_commands_and_an_old_clients_start_has_none() -> None:
    assert "commands" in FEATURES
    start = StartMessage(revisions=True, commands=("new line", "scratch that"))
    assert json.loads(encode(start))["commands"] == ["new line", "scratch that"]
    assert decode_client_control(encode(start)) == start
    assert decode_client_control('{"type": "start", "revisions": true}').commands == ()


def test_every_phrase_the_dashboard_acts_on_fits_the_cap_and_a_control_message() -> None:
    assert check_commands(list(PHRASES)) == tuple(PHRASES)
    assert len(encode(StartMessage(commands=tuple(PHRASES)))) < 300


@pytest.mark.parametrize("value", ["new line", [1], {"a": "b"}, None, ["new line", None]])
def test_malformed_commands_are_bad_commands_and_the_rest_of_the_start_holds(value: object) -> None:
    with pytest.raises(StartFieldError) as caught:
        start = {"type": "start", "revisions": True, "vocabulary": ["gRPC"], "commands": value}
        decode_client_control(json.dumps(start))
    assert caught.value.code == ErrorCode.BAD_COMMANDS
    assert caught.value.message == "start.commands must be a list of strings"
    assert caught.value.start == StartMessage(revisions=True, vocabulary=("gRPC",))


def test_the_cap_on_commands() -> None:
    assert check_commands(["  new   line ", "", "new line"]) == ("new line",)
    assert len(check_commands([f"c{i}" for i in range(MAX_COMMAND_ENTRIES)])) == MAX_COMMAND_ENTRIES
    with pytest.raises(ProtocolError, match=rf"^33 commands are over the limit of {MAX_COMMAND_ENTRIES}$"):
        check_commands([f"c{i}" for i in range(MAX_COMMAND_ENTRIES + 1)])
    with pytest.raises(ProtocolError, match=rf"^command 'a b c d e' is over the limit of {MAX_COMMAND_WORDS} words$"):
        check_commands(["new line", "a b c d e"])


def test_a_start_with_both_fields_bad_says_both_and_keeps_the_rest() -> None:
    with pytest.raises(VocabularyError) as caught:
        decode_client_control(json.dumps({"type": "start", "revisions": True, "vocabulary": 1, "commands": 2}))
    both = "start.vocabulary must be a list of strings; start.commands must be a list of strings"
    assert caught.value.message == both
    assert caught.value.start == StartMessage(revisions=True)


@pytest.mark.parametrize("heard", ["New line.", "new-line!", "Newline", "  SCRATCH that...", "Stop listening."])
def test_the_server_matches_what_the_client_takes_for_a_command(heard: str) -> None:
    assert parse_command(heard) is not None
    assert normalise_phrase(heard) in command_set(PHRASES)


@pytest.mark.parametrize("heard", ["He wrote a new line of code.", "New.", "Scratch."])
def test_text_is_no_command_on_either_side(heard: str) -> None:
    assert parse_command(heard) is None and normalise_phrase(heard) not in command_set(PHRASES)
