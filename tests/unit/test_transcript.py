"""The interim/final state machine and the committed-text diff (pure)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dictate.config import TypingMode
from dictate.protocol import FinalMessage, InterimMessage
from dictate.transcript import (
    NO_TYPING,
    Transcript,
    TypingPlan,
    apply_plan,
    final_latency_ms,
    join_utterance,
    normalise_utterance,
    plan_edit,
    stable_prefix,
)


def interim(utterance_id: int, text: str) -> InterimMessage:
    return InterimMessage(utterance_id=utterance_id, text=text, speech_start=None, sent_at=0.0)


def final(utterance_id: int, text: str, speech_end: float | None = 10.0, sent_at: float = 10.5) -> FinalMessage:
    return FinalMessage(
        utterance_id=utterance_id,
        text=text,
        speech_start=None,
        speech_end=speech_end,
        sent_at=sent_at,
        audio_seconds=1.0,
        processing_seconds=0.2,
    )


class Editor:
    """A fake focused text field: applies plans, counts keys."""

    def __init__(self) -> None:
        self.text = ""
        self.typed_chars = 0
        self.backspaces = 0

    def apply(self, plan: TypingPlan) -> None:
        self.text = apply_plan(self.text, plan)
        self.typed_chars += len(plan.text)
        self.backspaces += plan.backspaces


# ------------------------------------------------------------------ plan_edit and friends


def test_plan_edit_types_only_the_new_tail() -> None:
    assert plan_edit("hello", "hello world") == TypingPlan(0, " world")


def test_plan_edit_corrects_a_revision_with_backspaces() -> None:
    assert plan_edit("the cat sat", "the cap sat on") == TypingPlan(5, "p sat on")


def test_plan_edit_identical_is_empty() -> None:
    assert plan_edit("same", "same").is_empty


def test_apply_plan_stops_backspacing_at_start() -> None:
    assert apply_plan("ab", TypingPlan(5, "x")) == "x"


@given(st.text(), st.text())
def test_plan_edit_turns_committed_into_target(committed: str, target: str) -> None:
    plan = plan_edit(committed, target)
    assert apply_plan(committed, plan) == target
    assert plan.backspaces <= len(committed)
    # minimal: never deletes a character it would retype at the same place
    assert not (plan.backspaces and plan.text and committed[len(committed) - plan.backspaces] == plan.text[0])


def test_join_puts_one_space_between_utterances() -> None:
    assert join_utterance("", "Hello.") == "Hello."
    assert join_utterance("Hello.", "World.") == "Hello. World."
    assert join_utterance("Hello ", "World.") == "Hello World."
    assert join_utterance("Hello", ", world") == "Hello, world"
    assert join_utterance("Hello.", "") == "Hello."


def test_normalise_strips_and_collapses_whitespace() -> None:
    assert normalise_utterance("  He was  not\n ill. ") == "He was not ill."


def test_stable_prefix_needs_agreement_and_whole_words() -> None:
    assert stable_prefix(["he was not"]) == ""
    assert stable_prefix(["he was no", "he was not an"]) == "he was"
    assert stable_prefix(["he was not an", "he was not an ill"]) == "he was not"  # "an" may grow
    assert stable_prefix(["he was not an ill", "he was not an idea"]) == "he was not an"
    assert stable_prefix(["he was not", "he was not"]) == "he was"
    assert stable_prefix(["Okay.", "He was"]) == ""


def test_final_latency_uses_server_clock() -> None:
    assert final_latency_ms(final(0, "x", speech_end=10.0, sent_at=10.25)) == 250.0
    assert final_latency_ms(final(0, "x", speech_end=None)) is None


# ------------------------------------------------------------------ the state machine


def test_final_mode_types_each_final_once_with_spaces() -> None:
    transcript = Transcript(mode=TypingMode.FINAL)
    editor = Editor()
    editor.apply(transcript.on_interim(interim(0, "he was")))
    assert editor.text == ""
    assert transcript.interim_text == "he was"
    editor.apply(transcript.on_final(final(0, " He was not an ill-disposed young man. ")))
    assert transcript.interim_text == ""
    editor.apply(transcript.on_final(final(0, "He was not an ill-disposed young man.")))  # duplicate
    editor.apply(transcript.on_interim(interim(0, "late interim")))  # stale
    editor.apply(transcript.on_final(final(1, "Ten of clubs.")))
    assert editor.text == "He was not an ill-disposed young man. Ten of clubs."
    assert editor.typed_chars == len(editor.text)
    assert editor.backspaces == 0


def test_off_mode_types_nothing_but_shows_interim() -> None:
    transcript = Transcript(mode=TypingMode.OFF)
    assert transcript.on_interim(interim(0, "hello there")) is NO_TYPING
    assert transcript.interim_text == "hello there"
    assert transcript.on_final(final(0, "Hello there.")) is NO_TYPING
    assert transcript.committed_text == ""


def test_live_mode_types_stable_words_and_corrects_with_the_final() -> None:
    transcript = Transcript(mode=TypingMode.LIVE)
    editor = Editor()
    for text in ["he", "he was", "he was not", "he was not an", "he was not an ill"]:
        editor.apply(transcript.on_interim(interim(0, text)))
        assert editor.text == transcript.committed_text
    assert editor.text == "he was not"
    editor.apply(transcript.on_final(final(0, "He was not an ill-disposed young man.")))
    assert editor.text == "He was not an ill-disposed young man."
    assert editor.backspaces == len("he was not")


def test_live_mode_does_not_churn_when_the_model_is_less_sure() -> None:
    transcript = Transcript(mode=TypingMode.LIVE)
    editor = Editor()
    for text in ["one two three", "one two three four", "one two", "one"]:
        editor.apply(transcript.on_interim(interim(0, text)))
    assert editor.text == "one two"  # typed once both agreed; the shorter interims retract nothing
    assert editor.backspaces == 0


def test_live_mode_retracts_a_filler_the_final_drops() -> None:
    transcript = Transcript(mode=TypingMode.LIVE)
    editor = Editor()
    editor.apply(transcript.on_final(final(0, "First.")))
    for text in ["Okay so then", "Okay so then we"]:
        editor.apply(transcript.on_interim(interim(1, text)))
    assert editor.text == "First. Okay so"
    editor.apply(transcript.on_final(final(1, "")))
    assert editor.text == "First."


def test_stop_typing_types_nothing_more() -> None:
    transcript = Transcript(mode=TypingMode.FINAL)
    transcript.on_final(final(0, "One."))
    transcript.stop_typing()
    assert transcript.on_final(final(1, "Two.")) is NO_TYPING
    assert transcript.committed_text == "One."


def test_connection_lost_keeps_typed_text_and_never_replays_it() -> None:
    transcript = Transcript(mode=TypingMode.LIVE)
    editor = Editor()
    editor.apply(transcript.on_final(final(0, "One.")))
    for text in ["two three", "two three four"]:
        editor.apply(transcript.on_interim(interim(1, text)))
    assert editor.text == "One. two"
    transcript.connection_lost()
    assert transcript.on_final(final(1, "Two three four.")) is NO_TYPING  # from the dead session: dropped
    transcript.resume_typing()
    transcript.new_session()
    # the new server session numbers utterances from 0 again: that is a new utterance, not a duplicate
    editor.apply(transcript.on_final(final(0, "Five.")))
    assert editor.text == "One. two Five."
    assert editor.backspaces == 0


def test_reset_starts_a_new_run() -> None:
    transcript = Transcript(mode=TypingMode.FINAL)
    transcript.on_final(final(0, "One."))
    transcript.stop_typing()
    transcript.reset()
    editor = Editor()
    editor.apply(transcript.on_final(final(0, "Again.")))
    assert editor.text == "Again."


def test_switching_to_off_mid_utterance_keeps_live_text() -> None:
    transcript = Transcript(mode=TypingMode.LIVE)
    editor = Editor()
    for text in ["alpha beta", "alpha beta gamma"]:
        editor.apply(transcript.on_interim(interim(0, text)))
    transcript.set_mode(TypingMode.OFF)
    assert transcript.on_final(final(0, "Alpha beta gamma.")) is NO_TYPING
    transcript.set_mode(TypingMode.FINAL)
    editor.apply(transcript.on_final(final(1, "Delta.")))
    assert editor.text == "alpha Delta."


# ------------------------------------------------------------------ properties

words = st.sampled_from(["he", "was", "not", "an", "ill", "café", "Grüße", "naïve", "ß", "日本", "ok.", ","])
utterance_texts = st.lists(words, min_size=0, max_size=6).map(" ".join)


@st.composite
def message_streams(draw: st.DrawFn) -> list[InterimMessage | FinalMessage]:
    """Utterances 0..n: interims (revising each other), then a final; with duplicates and stale ones."""
    stream: list[InterimMessage | FinalMessage] = []
    for utterance_id in range(draw(st.integers(0, 4))):
        for text in draw(st.lists(utterance_texts, max_size=5)):
            stream.append(interim(utterance_id, text))
        stream.append(final(utterance_id, draw(utterance_texts)))
        if draw(st.booleans()):
            stream.append(final(utterance_id, draw(utterance_texts)))  # a duplicate final is ignored
        if draw(st.booleans()):
            stream.append(interim(utterance_id, draw(utterance_texts)))  # a late interim is ignored
    return stream


def expected_text(stream: list[InterimMessage | FinalMessage]) -> str:
    seen: set[int] = set()
    text = ""
    for message in stream:
        if isinstance(message, FinalMessage) and message.utterance_id not in seen:
            seen.add(message.utterance_id)
            text = join_utterance(text, normalise_utterance(message.text))
    return text


@settings(max_examples=300, deadline=None)
@given(message_streams(), st.sampled_from([TypingMode.FINAL, TypingMode.LIVE]))
def test_typed_text_is_exactly_the_finals_once(stream: list[InterimMessage | FinalMessage], mode: TypingMode) -> None:
    transcript = Transcript(mode=mode)
    editor = Editor()
    for message in stream:
        settled = transcript.settled_text
        plan = transcript.on_message(message)
        assert plan.backspaces <= len(editor.text) - len(settled), "a plan deleted settled text"
        editor.apply(plan)
        assert editor.text == transcript.committed_text
    assert editor.text == expected_text(stream)
    if mode is TypingMode.FINAL:
        assert editor.backspaces == 0
        assert editor.typed_chars == len(editor.text)


@settings(max_examples=200, deadline=None)
@given(message_streams(), st.integers(0, 20))
def test_nothing_is_typed_after_stop(stream: list[InterimMessage | FinalMessage], stop_at: int) -> None:
    transcript = Transcript(mode=TypingMode.LIVE)
    editor = Editor()
    for index, message in enumerate(stream):
        if index == stop_at:
            transcript.stop_typing()
        plan = transcript.on_message(message)
        if index >= stop_at:
            assert plan.is_empty
        editor.apply(plan)


def test_paste_mode_types_finals_only_and_marks_them_for_the_clipboard() -> None:
    transcript = Transcript(mode=TypingMode.PASTE)
    assert transcript.on_interim(interim(1, "hello")) == NO_TYPING
    assert transcript.on_interim(interim(1, "hello world")) == NO_TYPING
    assert transcript.on_final(final(1, "Hello world.")) == TypingPlan(0, "Hello world.", paste=True)
    assert transcript.on_final(final(2, "Again.")) == TypingPlan(0, " Again.", paste=True)


def test_a_final_clears_the_interim_of_an_utterance_that_never_got_a_final() -> None:
    """The Now pane kept "Hey" 40 s after the final: utterance 2's text was empty, so it had no final, and the
    final of utterance 3 did not clear utterance 2's interim."""
    state = Transcript()
    state.on_message(interim(2, "Hey"))
    state.on_message(interim(3, "Turn the"))
    state.on_message(final(3, "Turn the lights on."))
    assert state.interim_text == ""
    state.on_message(interim(4, "Hey"))  # noise starts an utterance that will produce no final
    state.on_message(final(5, "Good night."))  # a later utterance's final arrives first
    assert state.interim_text == ""
    state.on_message(interim(4, "Hey there"))  # a late interim older than the latest final is not shown
    assert state.interim_text == ""


def test_a_final_keeps_the_interim_of_a_later_utterance() -> None:
    state = Transcript()
    state.on_message(interim(1, "First"))
    state.on_message(interim(2, "Second one"))
    state.on_message(final(1, "First."))
    assert state.interim_text == "Second one"
