"""The text rules of revising finals. Pure.

* ``check_revision``: whether a pass over earlier finals' audio plus new speech may revise those finals: its
  words align with theirs followed by the new utterance's own text (issue 18 item 1, below). The finals' jobs
  (``finals.Finals``) call it on every revising pass's result.
* ``keep_typed_form``: an accepted revision's text, with the words it did not change written as the earlier
  finals had them (below).
* ``mend_seam``: where two finals meet that were transcribed apart, the text at the seam.
* ``command_set``: the client's voice commands as finals are matched against them (a command is never joined).

Where two finals meet:

A long passage is cut at its pauses (``timeline.Timeline``), and an utterance that follows a final within a
thinking pause is transcribed apart from it when both together are longer than one pass may read
(``DICTATE_CONTEXT_SECONDS``). Whisper then writes each piece as if it were all there is: it closes the first
with a full stop because its audio ends there, and it starts the next with a capital. Measured on the 52 s
passage (README, Performance item 10), these were the errors at the cuts: "in the exhibition. in being
comparatively modern", "the fifteenth century. may justly", "of fine typography The earliest book".

Whisper's start of the next piece tells which: a lower-case start is a sentence that goes on, so the earlier
full stop goes; a capitalised common word after a piece that did not end a sentence is a sentence that goes on,
so the capital goes. Names, "I" and words after a full stop keep their capitals, and a voice command is never
joined to its neighbour.

Whether a revising pass may replace the finals it covers (``check_revision``):

A span that starts soon after a final is transcribed together with that final's audio, and the pass *revises*
it (``timeline.context_for``). That pass sees the whole sentence, so it is usually better than the fragments.
But Whisper over a window with a long pause inside can fall into a repetition loop, or invent words where the
speaker stopped. Measured on real paused speech (issue 18), a revising final typed "A gold ring will be a gold
ring and a gold ring will be A pink shell ...": three correct sentences replaced by the loop, twenty words lost.
Other runs put words in at the pause points ("A gold ring will be a gold medal, please, most any girl."), or
repeated one ("a severe storm storm").

So a revising pass is used only when its words line up with what it replaces: the earlier finals' text followed
by the new utterance's own text (the same speech, transcribed apart). Aligned word by word (case and punctuation
ignored, ``difflib``), it is refused when

* a run of ``MAX_MISSING_RUN + 1`` or more of their words has no counterpart in it (speech lost);
* it has ``MAX_INSERTED_RUN + 1`` or more consecutive words that neither had, or more single ones than
  ``MAX_INSERTED_SHARE`` of their words allow (speech invented);
* it repeats itself where they do not: a word sequence said twice in a row ("storm storm"), or three words or
  more that come back more often than in their texts (a loop);
* it changes more than ``MAX_SUBSTITUTED_SHARE`` of their words, or keeps fewer than ``MIN_MATCHED_SHARE`` of
  them as they were (another text altogether).

What normal Whisper variation is allowed for: case and punctuation (ignored), a few changed words (a fragment
heard alone is worse than the sentence: "It's not." -> "Ask not what"), a word written as two or two as one
("everyday", "10" for "ten"), one word recovered at the cut that both pieces had lost. And the new utterance's
own text may be what Whisper writes for a short stretch of noise heard alone ("Thank you very much." for the
crowd at the end of whisper_jfk.wav, ``SILENCE_PHRASES``): a revision that leaves it out passes when it passes
without it. So may any text of an utterance of at most ``SHORT_UTTERANCE`` seconds (``own_short``): heard alone,
the same crowd came back as "All right, all right." once an utterance held through a pause had grown long
enough to be cut there; heard with the sentence before it, Whisper leaves it out.

What an accepted revision sends (``keep_typed_form``): its words, each one that the earlier finals had written as
they had it (case, punctuation), except where the earlier finals meet each other or the new speech, and where a
kept run of words meets one the revision changed: there the revising pass says how the words join (a full stop
before a sentence that goes on goes). The revising pass reads the pauses shortened (``joins.py``), so it often
punctuates otherwise ("Ten of clubs four Queen of clubs" for "Ten of clubs. 4, Queen of clubs."), and a
dashboard that typed the earlier finals backspaces to the first character that differs: in the dashboard replay
of a dictated session, 20-34 characters per 100 typed with the revising pass's text as it was, 6-7 in this form
(benchmark.md item 33). The words it changed are its own: that is what a revision is for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from dictate.voice_commands import normalise_phrase, parse_command

SENTENCE_ENDS = (".", "!", "?")
# Words that are capitalised at a piece's start only because Whisper took it for a sentence's start.
COMMON_WORDS = frozenset(
    "a an and as at be but by for from had has have he her his if in is it its my not of on or our she so "  # noqa: SIM905
    "than that the their then there these they this those to was we were which while who with you your".split()
)


def mend_seam(previous: str, text: str) -> tuple[str, str]:
    """The texts of two consecutive pieces of speech, mended where they meet (unchanged when nothing to mend)."""
    previous, text = previous.rstrip(), text.lstrip()
    if not previous or not text or parse_command(previous) or parse_command(text):
        return previous, text
    if text[0].islower() and previous.endswith(".") and not previous.endswith(".."):
        return previous[:-1], text
    first, _, rest = text.partition(" ")
    capitalised = first[:1].isupper() and first[1:].islower()
    if capitalised and not previous.endswith(SENTENCE_ENDS) and first.lower().rstrip(",;:") in COMMON_WORDS:
        return previous, first.lower() + (" " + rest if rest else "")
    return previous, text


def command_set(phrases: Iterable[str]) -> frozenset[str]:
    """Command phrases as ``dictate.voice_commands.normalise_phrase`` writes them: how finals are matched (the client's
    own matcher ignores case and punctuation the same way)."""
    return frozenset(filter(None, (normalise_phrase(phrase) for phrase in phrases)))


MAX_MISSING_RUN = 2  # consecutive words of the replaced texts a revision may drop (3 or more is lost speech)
MAX_INSERTED_RUN = 1  # consecutive words that neither text had (2 or more are invented)
MAX_INSERTED_SHARE = 0.1  # single inserted words, as a share of the replaced texts' words (at least one allowed)
MAX_SUBSTITUTED_SHARE = 0.34  # changed words, as a share of the replaced texts' words (at least two allowed)
MIN_MATCHED_SHARE = 0.5  # words of the replaced texts that the revision must have, unchanged
LOOP_MIN_WORDS = 3  # a sequence of this many words or more that recurs more often than in the sources is a loop
_MAX_REPEAT = 8  # longest sequence checked for an immediate repetition
OPEN_END_WORDS = 6  # words an interim may lack at the end of the utterance (speech after the last interim pass)

_WORD = re.compile(r"\w+(?:['’]\w+)*")
# what Whisper writes for noise or silence heard alone (its well-known hallucinations), as ``words_of`` gives them
SHORT_UTTERANCE = 1.5  # seconds: an utterance this short, heard alone, may be noise Whisper put words to
SILENCE_PHRASES = frozenset(
    ("you", "thank you", "thank you very much", "thanks for watching", "thank you for watching", "bye")
)


def words_of(text: str) -> list[str]:
    """The words of ``text`` as compared: lower case, punctuation dropped, apostrophes ignored ("It's" = "its")."""
    return [word.replace("'", "").replace("’", "") for word in _WORD.findall(text.lower())]


@dataclass(frozen=True)
class RevisionCheck:
    """The verdict on one revising pass, with what the alignment found (for logs and tests)."""

    accepted: bool
    reason: str = ""  # why it was refused ("" when accepted)
    longest_missing_run: int = 0  # source words in the longest run with no counterpart
    inserted: tuple[str, ...] = ()  # revision words with no counterpart in the sources
    substituted: int = 0  # source words replaced by other words
    repeated: str = ""  # the repetition found, if any


def _repetition(revised: Sequence[str], sources: Sequence[str]) -> str:
    """A repetition in ``revised`` that ``sources`` do not have: an immediately repeated sequence, or a sequence of
    ``LOOP_MIN_WORDS`` or more words that occurs more often. "" when there is none."""
    source_text = " " + " ".join(sources) + " "
    for size in range(1, _MAX_REPEAT + 1):
        for start in range(len(revised) - 2 * size + 1):
            first = revised[start : start + size]
            if list(first) == list(revised[start + size : start + 2 * size]):
                doubled = " " + " ".join([*first, *first]) + " "
                if doubled not in source_text:
                    return " ".join([*first, *first])
    for size in range(LOOP_MIN_WORDS, _MAX_REPEAT + 1):
        ours = Counter(tuple(revised[i : i + size]) for i in range(len(revised) - size + 1))
        theirs = Counter(tuple(sources[i : i + size]) for i in range(len(sources) - size + 1))
        for gram, count in ours.items():
            if count > 1 and count > theirs[gram]:
                return " ".join(gram)
    return ""


def check_revision(
    earlier: Sequence[str], own: str, revised: str, open_end: bool = False, own_short: bool = False
) -> RevisionCheck:
    """Whether ``revised`` (a pass over the earlier finals' audio and the new utterance's) may replace the finals
    whose texts are ``earlier``, given ``own``: the new utterance's text transcribed alone.

    ``open_end``: ``own`` is an interim, heard before the utterance ended, so it may lack its last words: up to
    ``OPEN_END_WORDS`` words of ``revised`` after the last word it shares with ``own`` are not counted as words
    that neither had (the rest of the check, repetitions included, still covers them). ``own_short``: the new
    utterance is at most ``SHORT_UTTERANCE`` long, so its own text may be left out as noise."""
    found = _aligned(earlier, own, revised, open_end)
    if not found.accepted and (own_short or " ".join(words_of(own)) in SILENCE_PHRASES):
        without = _aligned(earlier, "", revised)
        return without if without.accepted else found
    return found


def _open_end(sources: list[str], ours: list[str]) -> int:
    """How many of the last words of ``ours`` follow the end of ``sources`` (0 when more than ``OPEN_END_WORDS``,
    or when ``sources`` goes on past the words they share by more than one)."""
    blocks = [
        block for block in SequenceMatcher(None, sources, ours, autojunk=False).get_matching_blocks() if block.size
    ]
    if not blocks:
        return 0
    last = blocks[-1]
    tail = len(ours) - (last.b + last.size)
    return tail if tail <= OPEN_END_WORDS and len(sources) - (last.a + last.size) <= 1 else 0


def _aligned(earlier: Sequence[str], own: str, revised: str, open_end: bool = False) -> RevisionCheck:
    sources = [word for text in (*earlier, own) for word in words_of(text)]
    ours = words_of(revised)
    repeated = _repetition(ours, sources)
    if open_end:
        ours = ours[: len(ours) - _open_end(sources, ours)]
    matcher = SequenceMatcher(None, sources, ours, autojunk=False)
    missing_run = longest_missing = substituted = 0
    inserted: list[str] = []
    inserted_run = longest_inserted = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        lost = (i2 - i1) - (j2 - j1) if tag in ("delete", "replace") else 0
        added = (j2 - j1) - (i2 - i1) if tag in ("insert", "replace") else 0
        substituted += min(i2 - i1, j2 - j1) if tag == "replace" else 0
        if tag == "equal":
            missing_run = inserted_run = 0
            continue
        if lost > 0:
            missing_run += lost
            longest_missing = max(longest_missing, missing_run)
        else:
            missing_run = 0
        if added > 0:
            inserted.extend(ours[j2 - added : j2])
            inserted_run += added
            longest_inserted = max(longest_inserted, inserted_run)
        else:
            inserted_run = 0
    found = RevisionCheck(True, "", longest_missing, tuple(inserted), substituted, repeated)
    if longest_missing > MAX_MISSING_RUN:
        return replace(found, accepted=False, reason=f"{longest_missing} words in a row missing")
    if repeated:
        return replace(found, accepted=False, reason=f"repetition {repeated!r}")
    if longest_inserted > MAX_INSERTED_RUN or len(inserted) > max(1, int(MAX_INSERTED_SHARE * len(sources))):
        return replace(found, accepted=False, reason=f"words neither had: {' '.join(inserted)!r}")
    if substituted > max(2, int(MAX_SUBSTITUTED_SHARE * len(sources))):
        return replace(found, accepted=False, reason=f"{substituted} of {len(sources)} words changed")
    matched = sum(block.size for block in matcher.get_matching_blocks())
    if matched < MIN_MATCHED_SHARE * len(sources):
        return replace(found, accepted=False, reason=f"{matched} of {len(sources)} words kept")
    return found


def keep_typed_form(earlier: Sequence[str], revised: str) -> str:
    """``revised`` (an accepted revision of the finals whose texts are ``earlier``), each token (a word with its
    punctuation) that stands for the same word as a token of ``earlier`` written as ``earlier`` has it, but where
    the earlier finals meet each other or the new speech, and where a run of such tokens meets a change: there
    ``revised`` says how the words join (the module's doc)."""
    pieces = [text.split() for text in earlier]
    before = [token for piece in pieces for token in piece]
    after = revised.split()
    if not before or not after:
        return revised.strip()
    seams: set[int] = set()  # the first and last token of each earlier final
    position = 0
    for piece in filter(None, pieces):
        seams |= {position, position + len(piece) - 1}
        position += len(piece)
    seams.discard(0)  # the first word: as it was typed
    keys = [" ".join(words_of(token)) for token in before], [" ".join(words_of(token)) for token in after]
    kept: list[str] = []
    opcodes = SequenceMatcher(None, *keys, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag != "equal":
            kept.extend(after[j1:j2])
            continue
        block = [after[j] if i in seams else before[i] for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        if index > 0:  # after a change: the revising pass's form ("woman, he" for "woman? He")
            block[0] = after[j1]
        if index < len(opcodes) - 1:  # before a change
            block[-1] = after[j2 - 1]
        kept.extend(block)
    return " ".join(kept)
