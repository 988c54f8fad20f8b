"""Voice commands: matching (pure) and what the transcript types for them (pure)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dictate.config import TypingMode
from dictate.protocol import FinalMessage, InterimMessage
from dictate.transcript import Transcript, TypingPlan, apply_plan
from dictate.voice_commands import VoiceCommand, normalise_phrase, parse_command


def interim(utterance_id: int, text: str) -> InterimMessage:
    return InterimMessage(utterance_id=utterance_id, text=text, speech_start=None, sent_at=0.0)


def final(utterance_id: int, text: str) -> FinalMessage:
    return FinalMessage(
        utterance_id=utterance_id,
        text=text,
        speech_start=None,
        speech_end=10.0,
        sent_at=10.5,
        audio_seconds=1.0,
        processing_seconds=0.2,
    )


@pytest.mark.parametrize(
    ("spoken", "command"),
    [
        ("new line", VoiceCommand.NEW_LINE),
        ("New line.", VoiceCommand.NEW_LINE),
        ("Newline!", VoiceCommand.NEW_LINE),
        ("  new-line  ", VoiceCommand.NEW_LINE),
        ("New paragraph.", VoiceCommand.NEW_PARAGRAPH),
        ("NEW PARAGRAPH", VoiceCommand.NEW_PARAGRAPH),
        ("Scratch that.", VoiceCommand.SCRATCH_THAT),
        ("scratch, that!", VoiceCommand.SCRATCH_THAT),
        ("Stop listening.", VoiceCommand.STOP_LISTENING),
        ("…stop listening?", VoiceCommand.STOP_LISTENING),
    ],
)
def test_a_command_matches_whatever_whisper_does_to_case_and_punctuation(spoken: str, command: VoiceCommand) -> None:
    assert parse_command(spoken) is command


@pytest.mark.parametrize(
    "spoken",
    [
        "He wrote a new line of code.",
        "New line of code.",
        "A new paragraph.",
        "Scratch that itch.",
        "Please stop listening to him.",
        "new lines",
        "scratch",
        "",
        "...",
    ],
)
def test_command_words_inside_a_longer_utterance_are_text(spoken: str) -> None:
    assert parse_command(spoken) is None


def test_normalise_phrase_keeps_words_and_apostrophes() -> None:
    assert normalise_phrase("Don't — STOP, 'listening'!") == "don't stop listening"


@given(st.text())
def test_normalise_phrase_is_idempotent(text: str) -> None:
    once = normalise_phrase(text)
    assert normalise_phrase(once) == once


# ------------------------------------------------------------------ in the transcript


class Field:
    """A fake focused text field that checks every plan only deletes what this run typed."""

    def __init__(self, before: str = "") -> None:
        self.before = before
        self.text = before

    def apply(self, plan: TypingPlan) -> None:
        assert plan.backspaces <= len(self.text) - len(self.before), "a plan deleted text typed before the run"
        self.text = apply_plan(self.text, plan)


UTTERANCE_IDS = itertools.count(1)


def dictate(transcript: Transcript, field: Field, *finals: str) -> None:
    for text in finals:
        field.apply(transcript.on_final(final(next(UTTERANCE_IDS), text)))


def test_new_line_and_new_paragraph_type_enter_once_and_twice() -> None:
    transcript, field = Transcript(commands=True), Field()
    dictate(transcript, field, "Dear Ann,", "New line.", "Thanks for the cards.", "New paragraph.", "Bob")
    assert field.text == "Dear Ann,\nThanks for the cards.\n\nBob"
    assert transcript.committed_text == field.text


def test_scratch_that_deletes_the_last_utterance_only() -> None:
    transcript, field = Transcript(commands=True), Field(before="kept ")
    dictate(transcript, field, "First sentence.", "Second sentence.", "Scratch that.")
    assert field.text == "kept First sentence."
    assert transcript.last_command is VoiceCommand.SCRATCH_THAT
    dictate(transcript, field, "Another one.")
    assert field.text == "kept First sentence. Another one."


def test_scratch_that_repeated_stops_at_the_start_of_the_run() -> None:
    transcript, field = Transcript(commands=True), Field(before="typed by hand.")
    dictate(transcript, field, "One.", "New line.", "Two.", "Scratch that.", "Scratch that.")
    assert field.text == "typed by hand.One."
    dictate(transcript, field, *(["Scratch that."] * 3))
    assert field.text == "typed by hand."
    assert transcript.committed_text == ""


def test_scratch_that_removes_live_text_and_nothing_is_typed_twice() -> None:
    transcript, field = Transcript(mode=TypingMode.LIVE, commands=True), Field()
    field.apply(transcript.on_final(final(1, "Hello there.")))
    for text in ["scratch", "scratch that", "scratch that"]:
        field.apply(transcript.on_interim(interim(2, text)))
    assert field.text == "Hello there. scratch"  # live mode typed the command's first word
    field.apply(transcript.on_final(final(2, "Scratch that.")))
    assert field.text == ""
    field.apply(transcript.on_final(final(2, "Scratch that.")))  # a repeated final is ignored
    field.apply(transcript.on_final(final(3, "Goodbye.")))
    assert field.text == "Goodbye."


def test_stop_listening_types_nothing_and_is_reported() -> None:
    transcript, field = Transcript(commands=True), Field()
    dictate(transcript, field, "Done for today.", "Stop listening.")
    assert field.text == "Done for today."
    assert transcript.last_command is VoiceCommand.STOP_LISTENING
    dictate(transcript, field, "Not a command.")
    assert transcript.last_command is None


def test_without_commands_the_phrases_are_text() -> None:
    transcript, field = Transcript(commands=False), Field()
    dictate(transcript, field, "One.", "New line.", "Scratch that.")
    assert field.text == "One. New line. Scratch that."
    assert transcript.last_command is None


def test_a_command_while_typing_is_off_types_nothing_but_is_reported() -> None:
    transcript, field = Transcript(mode=TypingMode.OFF, commands=True), Field()
    dictate(transcript, field, "One.", "Scratch that.")
    assert field.text == ""
    assert transcript.last_command is VoiceCommand.SCRATCH_THAT


def test_scratch_that_cannot_reach_back_past_a_dropped_connection() -> None:
    transcript, field = Transcript(commands=True), Field()
    dictate(transcript, field, "Before the drop.")
    transcript.connection_lost()
    transcript.new_session()
    transcript.resume_typing()
    field.apply(transcript.on_final(final(1, "Scratch that.")))
    assert field.text == "Before the drop."


@given(
    st.lists(
        st.sampled_from(["One.", "two", "New line.", "New paragraph.", "Scratch that.", ", three", "Stop listening."]),
        max_size=12,
    )
)
def test_any_mix_of_commands_keeps_the_diff_true_and_never_deletes_before_the_run(finals: list[str]) -> None:
    transcript, field = Transcript(commands=True), Field(before="earlier text")
    dictate(transcript, field, *finals)
    assert field.text == "earlier text" + transcript.committed_text
    assert transcript.settled_text == transcript.committed_text
