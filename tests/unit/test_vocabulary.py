"""The feature ``vocabulary``: the start message's vocabulary (cap), and the user's vocabulary file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dictate.errors import ConfigError
from dictate.protocol import (
    FEATURES,
    MAX_VOCABULARY_CHARS,
    MAX_VOCABULARY_ENTRIES,
    ErrorCode,
    ProtocolError,
    ReadyMessage,
    StartMessage,
    VocabularyError,
    check_vocabulary,
    decode_client_control,
    encode,
)
from dictate.vocabulary import load_vocabulary, parse_vocabulary


def test_start_carries_the_vocabulary() -> None:
    text = encode(StartMessage(vocabulary=("Kubernetes", "gRPC")))
    assert json.loads(text)["vocabulary"] == ["Kubernetes", "gRPC"]
    assert decode_client_control(text) == StartMessage(vocabulary=("Kubernetes", "gRPC"))


def test_an_old_clients_start_has_no_vocabulary() -> None:
    assert decode_client_control('{"type": "start", "sample_rate": 16000}') == StartMessage()
    assert decode_client_control('{"type": "start"}').vocabulary == ()


def test_entries_are_trimmed_and_blanks_and_repeats_dropped() -> None:
    assert check_vocabulary(["  ten ", "", "queen  of clubs", "ten", "  "]) == ("ten", "queen of clubs")


@pytest.mark.parametrize("value", ["clubs", [1, 2], {"a": "b"}, None, ["ok", None]])
def test_a_malformed_vocabulary_is_bad_vocabulary(value: object) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_client_control(json.dumps({"type": "start", "vocabulary": value}))
    assert caught.value.code == ErrorCode.BAD_VOCABULARY
    assert caught.value.message == "start.vocabulary must be a list of strings"


def test_the_cap_on_entries_and_characters() -> None:
    assert len(check_vocabulary([f"w{i}" for i in range(MAX_VOCABULARY_ENTRIES)])) == MAX_VOCABULARY_ENTRIES
    with pytest.raises(ProtocolError, match=r"^vocabulary of 101 entries and \d+ characters is over the limit"):
        check_vocabulary([f"w{i}" for i in range(MAX_VOCABULARY_ENTRIES + 1)])
    long_words = ["x" * 100 + str(i) for i in range(MAX_VOCABULARY_CHARS // 100)]
    with pytest.raises(ProtocolError) as caught:
        check_vocabulary(long_words)
    assert caught.value.code == ErrorCode.BAD_VOCABULARY
    assert f"limit of {MAX_VOCABULARY_ENTRIES} entries and {MAX_VOCABULARY_CHARS} characters" in caught.value.message


def test_the_biggest_vocabulary_fits_a_control_message() -> None:
    words = ["é" * (MAX_VOCABULARY_CHARS // MAX_VOCABULARY_ENTRIES - 2) + f"{i:02d}" for i in range(100)]
    assert sum(map(len, words)) == MAX_VOCABULARY_CHARS and len(words) == MAX_VOCABULARY_ENTRIES
    text = encode(StartMessage(vocabulary=check_vocabulary(words)))
    assert decode_client_control(text).vocabulary == tuple(words)


def test_ready_lists_the_vocabulary_feature_by_name() -> None:
    ready = ReadyMessage("id", "m", "cpu", "int8")
    assert "vocabulary" in json.loads(encode(ready))["features"]
    assert "vocabulary" in FEATURES


def test_vocabulary_file(tmp_path: Path) -> None:
    assert parse_vocabulary("# cards\nclubs\n\n  queen of hearts  \n  # indented comment\n") == [
        "clubs",
        "queen of hearts",
    ]
    path = tmp_path / "words.txt"
    path.write_text("Kubernetes\ngRPC\nKubernetes\n", encoding="utf-8")
    assert load_vocabulary(path) == ("Kubernetes", "gRPC")
    assert load_vocabulary(None) == ()


def test_vocabulary_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "words.txt"
    path.write_text("\n".join(f"w{i}" for i in range(MAX_VOCABULARY_ENTRIES + 5)))
    with pytest.raises(ConfigError, match=rf"^{path}: vocabulary of 105 entries"):
        load_vocabulary(path)
    with pytest.raises(ConfigError, match=r"^cannot read the vocabulary file .*missing.txt: No such file"):
        load_vocabulary(tmp_path / "missing.txt")


def test_a_bad_vocabulary_keeps_the_rest_of_the_start_message() -> None:
    with pytest.raises(VocabularyError) as caught:
        decode_client_control(json.dumps({"type": "start", "revisions": True, "vocabulary": "clubs"}))
    assert caught.value.code == ErrorCode.BAD_VOCABULARY
    assert caught.value.start == StartMessage(revisions=True)


@pytest.mark.parametrize("command", [["transcribe", "CLIP"], ["tui"], ["bench", "CLIP"]])
def test_a_vocabulary_file_over_the_cap_stops_the_command_with_one_line(
    tmp_path: Path, command: list[str], clips: dict
) -> None:
    words = tmp_path / "words.txt"
    words.write_text("\n".join(f"w{i}" for i in range(MAX_VOCABULARY_ENTRIES + 1)))
    args = [clips["ps_cards_001.wav"].path.as_posix() if arg == "CLIP" else arg for arg in command]
    result = subprocess.run(
        [sys.executable, "-m", "dictate", *args, "--vocabulary", str(words), "--server", "ws://127.0.0.1:9/stream"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"dictate: {words}: vocabulary of 101 entries and 294 characters is over the limit of 100 entries and "
        "600 characters"
    ]
