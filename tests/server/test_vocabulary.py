"""A session's vocabulary (protocol 1.2 start.vocabulary) biases its own passes and no other session's; its
commands (1.3 start.commands) are never joined to the speech around them.

Real service (`dictate serve` child process, packaged Whisper base), real WebSocket clients, real speech: the
cards clip ps_cards_002.wav ("four queen of clubs") comes out as "4 Queen of Cloves" (or "Clothes") without a
vocabulary.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import EmbeddedServer
from dictate.protocol import MAX_VOCABULARY_ENTRIES
from dictate.vocabulary import load_vocabulary
from dictate.voice_commands import PHRASES, parse_command
from tests.conftest import REPO_ROOT, Clip
from tests.streaming import SessionLog, speak, stream_session, words

pytestmark = pytest.mark.model
CARDS = list(load_vocabulary(REPO_ROOT / "docs" / "bench" / "vocabulary-cards.txt"))  # the file the bench used
CLIP = "ps_cards_002.wav"


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(start_timeout=180) as embedded:
        yield embedded


def start(vocabulary: list[str] | None) -> str:
    message: dict[str, object] = {"type": "start", "sample_rate": 16000}
    if vocabulary is not None:
        message["vocabulary"] = vocabulary
    return json.dumps(message)


async def two_sessions(url: str, pcm: bytes) -> tuple[SessionLog, SessionLog]:
    """The same audio at the same time: one session with the card vocabulary, one (an old client) without."""
    with_vocabulary, without = await asyncio.gather(
        stream_session(url, pcm, before_audio=[start(CARDS)]),
        stream_session(url, pcm, before_audio=[start(None)]),
    )
    return with_vocabulary, without


def test_vocabulary_changes_its_own_session_only(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    pcm = silence(0.5) + read_wav_as_pcm16(clips[CLIP].path) + silence(1.2)
    biased, plain = asyncio.run(two_sessions(server.url, pcm))
    assert biased.messages[0]["protocol"] == 1 and "vocabulary" in biased.messages[0]["features"]
    assert not biased.of_type("error") and not plain.of_type("error")
    assert "clubs" in words(biased.final_text), biased.final_text
    assert "clubs" not in words(plain.final_text), plain.final_text  # "Cloves": not biased by the other session
    assert biased.close_code == plain.close_code == 1000


def test_a_vocabulary_over_the_cap_is_a_clear_error_and_the_session_goes_on(
    server: EmbeddedServer, clips: dict[str, Clip]
) -> None:
    pcm = silence(0.5) + read_wav_as_pcm16(clips["ps_librivox_sns01_0880.wav"].path) + silence(1.2)
    too_many = [f"word{i}" for i in range(MAX_VOCABULARY_ENTRIES + 1)]
    log = asyncio.run(stream_session(server.url, pcm, before_audio=[start(too_many)]))
    errors = log.of_type("error")
    assert [(e["code"], e["fatal"]) for e in errors] == [("bad_vocabulary", False)]
    assert errors[0]["message"].startswith(f"vocabulary of {MAX_VOCABULARY_ENTRIES + 1} entries")
    assert "ill" in words(log.final_text) and log.close_code == 1000


def test_transcribe_sends_the_vocabulary_and_prints_the_config_files_replacements(
    server: EmbeddedServer, clips: dict[str, Clip], tmp_path: Path
) -> None:
    """`dictate transcribe` applies the config file's `replace` table to what it prints, as the dashboard does
    to what it types (one code path: the client's Dispatcher); `--no-replace` prints the model's spelling."""
    vocabulary = tmp_path / "cards.txt"
    vocabulary.write_text("\n".join(CARDS))
    config = tmp_path / "config.toml"
    config.write_text(f'vocabulary = "{vocabulary.as_posix()}"\n\n[replace]\n"queen of clubs" = "Q♣"\n')

    def transcribe(*flags: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "dictate", "transcribe", str(clips[CLIP].path), "--server", server.url, *flags],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "DICTATE_CONFIG": str(config)},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    printed = transcribe()
    assert "Q♣" in printed and "clubs" not in words(printed), printed
    as_heard = transcribe("--no-replace")  # the model's own spelling, with the vocabulary still sent
    assert "Q♣" not in as_heard and "clubs" in words(as_heard), as_heard


def test_a_command_between_short_pauses_is_its_own_final_and_joins_nothing(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    """ "Thank you [1.2 s] scratch that [1.2 s] see you soon": without commands, each pause is a thinking pause
    (held, or revised after) and the command is decoded into the sentence ("Thank you. Crash mat!") and typed as
    text; with them, the command is a final of its own (not held, not joined)."""
    pcm = read_wav_as_pcm16(speak(["Thank you", "scratch that", "See you soon"], tmp_path, pause=1.2))
    revising = json.dumps({"type": "start", "revisions": True})
    with_commands = json.dumps({"type": "start", "revisions": True, "commands": list(PHRASES)})

    async def both() -> tuple[SessionLog, SessionLog]:
        return await asyncio.gather(
            stream_session(server.url, pcm, before_audio=[with_commands]),
            stream_session(server.url, pcm, before_audio=[revising]),
        )

    commands, plain = asyncio.run(both())
    assert not commands.of_type("error") and not plain.of_type("error")
    # without commands the pauses join the speech: held through them (one final), or revised after them
    plain_finals = plain.of_type("final")
    joined = any(final["revises"] for final in plain_finals) or any(
        {"thank", "soon"} <= set(words(final["text"])) for final in plain_finals
    )
    assert joined, f"the pauses join speech (else this shows nothing): {plain_finals}"
    finals = [(final["text"], final["revises"]) for final in commands.of_type("final")]
    spoken = [index for index, (text, _) in enumerate(finals) if parse_command(text) is not None]
    assert len(spoken) == 1, finals
    assert all(not revises for _, revises in finals[spoken[0] :]), f"nothing joins the command: {finals}"
    assert "soon" in words(finals[-1][0]), finals
