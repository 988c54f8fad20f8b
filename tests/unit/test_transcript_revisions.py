"""Finals that revise earlier finals (protocol 1.1): the dashboard corrects only what it typed itself in this run,
the latest finals and nothing before them, and never types anything twice."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dictate.config import TypingMode
from dictate.protocol import FinalMessage, InterimMessage
from dictate.transcript import FinalTexts, Transcript, TypingPlan, apply_plan, new_words


def final(utterance_id: int, text: str, revises: tuple[int, ...] = ()) -> FinalMessage:
    return FinalMessage(utterance_id, text, 1.0, 2.0, 2.5, 1.0, 0.5, list(revises))


class Field:
    """The focused application's text field: what the typed plans leave in it."""

    def __init__(self, text: str = "") -> None:
        self.text = text

    def type(self, plan: TypingPlan) -> None:
        self.text = apply_plan(self.text, plan)


def test_a_revising_final_replaces_the_fragments_typed_at_a_thinking_pause() -> None:
    transcript, field = Transcript(), Field()
    transcript.reset()
    field.type(transcript.on_final(final(1, "And so my fellow Americans.")))
    field.type(transcript.on_final(final(2, "Ask not.")))
    assert field.text == "And so my fellow Americans. Ask not."
    plan = transcript.on_final(
        final(3, "And so my fellow Americans, ask not what your country can do for you.", revises=(1, 2))
    )
    assert plan == TypingPlan(backspaces=len(". Ask not."), text=", ask not what your country can do for you.")
    field.type(plan)
    assert (
        field.text
        == transcript.committed_text
        == "And so my fellow Americans, ask not what your country can do for you."
    )
    field.type(transcript.on_final(final(4, "Thank you.")))
    assert field.text.endswith("for you. Thank you.")


def test_a_revision_never_deletes_text_from_before_the_run_or_finals_it_does_not_name() -> None:
    transcript, field = Transcript(), Field("Dear Sir, ")
    transcript.reset()
    field.type(transcript.on_final(final(1, "It was late.")))
    field.type(transcript.on_final(final(2, "We went home.")))
    plan = transcript.on_final(final(3, "we went home at last.", revises=(2,)))
    field.type(plan)
    assert field.text == "Dear Sir, It was late. we went home at last."
    assert plan.backspaces == len("We went home.")  # only the revised final's own characters


def test_a_revision_of_a_final_typed_before_typing_was_switched_off_types_only_the_new_words() -> None:
    transcript, field = Transcript(), Field()
    transcript.reset()
    field.type(transcript.on_final(final(1, "And so my fellow Americans.")))
    transcript.set_mode(TypingMode.OFF)
    transcript.set_mode(TypingMode.FINAL)
    plan = transcript.on_final(final(2, "And so, my fellow Americans, ask not.", revises=(1,)))
    assert plan.backspaces == 0
    field.type(plan)
    assert field.text == "And so my fellow Americans. ask not."


def test_a_revision_is_not_applied_backwards_past_a_final_it_does_not_revise() -> None:
    transcript, field = Transcript(), Field()
    transcript.reset()
    field.type(transcript.on_final(final(1, "One two.")))
    field.type(transcript.on_final(final(2, "Three four.")))
    plan = transcript.on_final(final(3, "One two, five.", revises=(1,)))  # 2 was typed after 1
    assert plan.backspaces == 0
    field.type(plan)
    assert field.text == "One two. Three four. five."


def test_a_revision_of_a_voice_command_does_not_retype_it_as_words() -> None:
    transcript, field = Transcript(commands=True), Field()
    transcript.reset()
    field.type(transcript.on_final(final(1, "Hello.")))
    field.type(transcript.on_final(final(2, "New line.")))
    plan = transcript.on_final(final(3, "New line, dear friend.", revises=(2,)))
    field.type(plan)
    assert field.text == "Hello.\ndear friend."


def test_a_voice_command_said_after_a_pause_stays_a_command_when_the_server_joins_it() -> None:
    transcript, field = Transcript(commands=True), Field()
    transcript.reset()
    field.type(transcript.on_final(final(1, "Hello.")))
    field.type(transcript.on_final(final(2, "Hello, new line.", revises=(1,))))
    assert field.text == "Hello.\n"


def test_speech_resumed_soon_after_a_final_is_not_typed_live_but_with_the_revision() -> None:
    transcript, field = Transcript(mode=TypingMode.LIVE), Field()
    transcript.reset()
    field.type(transcript.on_final(final(1, "Ask not.")))  # its speech ended at 2.0 (server clock)
    for text in ["what your", "what your country", "what your country can"]:
        field.type(transcript.on_interim(InterimMessage(2, text, 3.5, 4.0)))  # resumed 1.5 s later
    assert field.text == "Ask not."  # the revision would take back every word typed after "not."
    plan = transcript.on_final(final(2, "Ask not what your country can do.", revises=(1,)))
    assert plan == TypingPlan(backspaces=1, text=" what your country can do.")  # the seam's full stop only
    field.type(plan)
    assert field.text == "Ask not what your country can do."


def test_live_text_of_a_later_utterance_is_typed_live_and_corrected_by_a_revision() -> None:
    transcript, field = Transcript(mode=TypingMode.LIVE), Field()
    transcript.reset()
    field.type(transcript.on_final(final(1, "Ask not.")))
    for text in ["what your", "what your country", "what your country can"]:
        field.type(transcript.on_interim(InterimMessage(2, text, 4.5, 5.0)))  # 2.5 s after the final's speech
    assert field.text.startswith("Ask not. what your")
    field.type(transcript.on_final(final(2, "Ask not what your country can do.", revises=(1,))))
    assert field.text == "Ask not what your country can do."


def test_final_texts_apply_revisions_in_place() -> None:
    texts = FinalTexts()
    for message in [final(1, "And so my fellow Americans."), final(2, "Ask not."), final(3, "Thanks.")]:
        texts.apply(message)
    texts.apply(final(4, "Thanks, all.", revises=(3,)))
    assert texts.lines == ["And so my fellow Americans.", "Ask not.", "Thanks, all."]
    assert texts.text == "And so my fellow Americans. Ask not. Thanks, all."


def test_new_words_skips_what_the_revised_text_already_said() -> None:
    assert new_words("And so my fellow Americans.", "And so, my fellow Americans, ask not what") == "ask not what"
    assert new_words("", "Hello there.") == "Hello there."
    assert new_words("Hello.", "Goodbye.") == "Goodbye."


WORDS = st.sampled_from(["ask", "not", "what", "your", "country", "can", "do", "Americans.", "so,"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(WORDS, min_size=1, max_size=4), st.integers(min_value=0, max_value=3)),
        min_size=1,
        max_size=8,
    )
)
def test_what_is_typed_is_always_the_transcript_with_revisions_applied(steps: list[tuple[list[str], int]]) -> None:
    """Any sequence of finals, each revising 0-3 of the latest ones: the field ends up holding exactly the
    session's text as a reader sees it (nothing typed twice, nothing lost)."""
    transcript, field, texts = Transcript(), Field(), FinalTexts()
    transcript.reset()
    for utterance_id, (words, back) in enumerate(steps, 1):
        revises = tuple(list(texts.texts)[-back:]) if back else ()
        message = final(utterance_id, " ".join(words), revises)
        texts.apply(message)
        field.type(transcript.on_final(message))
        assert field.text == transcript.committed_text == texts.text
