"""OpenAI-compatible file transcription on the same process and model: ``POST /v1/audio/transcriptions`` and
``GET /v1/models`` (tools with a "custom OpenAI endpoint" setting point their base URL at ``http://HOST:PORT/v1``).

The request is OpenAI's multipart form: ``file`` (required), ``model`` (accepted; the loaded model answers),
``language``, ``prompt``, ``temperature``, ``response_format`` (json, text, srt, vtt, verbose_json) and
``timestamp_granularities[]`` (segment, word; verbose_json only). The upload is read into memory up to
``max_upload_mb`` (a bigger one is refused with 413 before it is stored), decoded by libsndfile and resampled
with soxr (audiofile.py) on a file thread, and transcribed in short windows below every live session (jobs.py).
At most ``max_file_jobs`` requests are served at once and ``max_queued_file_seconds`` of audio waits; beyond
them a request is refused at once with 429 and ``Retry-After``. A file that declares a sample rate outside
8-192 kHz or is longer than ``max_file_seconds`` is refused with 400 before it is decoded. Nothing is
written to disk by this module; the multipart parser's spooled file is closed before the response. Errors
use OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.types import Message

from dictate.audiofile import decode_audio_bytes
from dictate.config import ServerSettings
from dictate.errors import AudioError, AudioTooLongError
from dictate.protocol import SAMPLE_RATE
from dictate.server.edge.metrics import Metrics
from dictate.server.edge.threads import ServiceThreads
from dictate.server.model.scheduler import ModelScheduler
from dictate.server.uploads.formats import FileOptions, ResponseFormat, render
from dictate.server.uploads.jobs import FileJobLimits, transcribe_file

logger = logging.getLogger(__name__)

FORM_OVERHEAD_BYTES = 64 * 1024  # the form's other fields and multipart boundaries, on top of the file
GRANULARITIES = frozenset({"segment", "word"})
BUSY_RETRY_AFTER_S = 10  # Retry-After of a 429 (the file-job limits): about one window of a busy model, and then some


class ApiError(Exception):
    """An OpenAI-style error response."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
        result: str = "bad_request",  # the dictate_file_jobs label
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind, self.result = (
            status,
            message,
            param,
            code,
            kind,
            result,
        )
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}
        headers = {"WWW-Authenticate": 'Bearer realm="dictate"'} if self.status == 401 else None
        if self.retry_after is not None:
            headers = {"Retry-After": str(self.retry_after)}
        return JSONResponse(body, status_code=self.status, headers=headers)


def server_busy(what: str) -> ApiError:
    """429: beyond the file-job limits; the client should come back after ``Retry-After`` seconds."""
    return ApiError(
        429,
        f"the server is busy ({what}); retry in {BUSY_RETRY_AFTER_S} s",
        code="server_busy",
        kind="rate_limit_error",
        result="busy",
        retry_after=BUSY_RETRY_AFTER_S,
    )


@dataclass(frozen=True)
class TranscriptionRequest:
    """The form's fields, checked."""

    content: bytes
    filename: str
    options: FileOptions
    response_format: ResponseFormat
    granularities: frozenset[str]


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"Maximum content size limit ({limit} bytes) exceeded: the server's upload limit is "
        f"{limit / 1e6:g} MB (DICTATE_MAX_UPLOAD_MB)",
        param="file",
        code="file_too_large",
        result="too_large",
    )


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` + the form's overhead. What follows a
    refused upload is read and dropped (up to the same amount again), so that the client sees the 413 rather
    than a reset connection; nothing of it is kept."""
    cap = limit + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 2 * cap:
        raise too_large(limit)  # far too big to be worth draining: refuse before reading
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            chunks.clear()
            if size > 2 * cap:
                break
            continue
        chunks.append(chunk)
    if size > cap:
        raise too_large(limit)
    return b"".join(chunks)


async def discard_body(request: Request, most: int) -> None:
    """Read and drop the request body (up to ``most`` bytes): a client still sending its upload would see a reset
    connection instead of the answer. Nothing is kept."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > most:
            break


async def parse_form(request: Request, body: bytes) -> FormData:
    """Parse the multipart form from an already-read body."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_files=1, max_fields=32)
    except Exception as exc:  # a malformed body or a form that is not multipart
        raise ApiError(400, f"the request is not a valid multipart form: {exc}") from exc


async def read_request(form: FormData, limit: int) -> TranscriptionRequest:
    """Check the form's fields (raises ApiError 400/413)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(400, "you must provide a 'file' (multipart/form-data upload of an audio file)", param="file")
    content = await upload.read()
    if len(content) > limit:
        raise too_large(limit)
    if not content:
        raise ApiError(400, "the uploaded file is empty", param="file")
    try:
        response_format = ResponseFormat(str(form.get("response_format") or "json"))
    except ValueError:
        known = ", ".join(f.value for f in ResponseFormat)
        raise ApiError(400, f"response_format must be one of {known}", param="response_format") from None
    granularities = frozenset(
        str(value) for key in ("timestamp_granularities[]", "timestamp_granularities") for value in form.getlist(key)
    )
    if not granularities <= GRANULARITIES:
        raise ApiError(400, "timestamp_granularities must be 'segment' and/or 'word'", "timestamp_granularities")
    if granularities and response_format is not ResponseFormat.VERBOSE_JSON:
        raise ApiError(
            400, "timestamp_granularities needs response_format=verbose_json", param="timestamp_granularities"
        )
    try:
        temperature = float(str(form.get("temperature") or 0.0))
    except ValueError:
        temperature = -1.0
    if not 0.0 <= temperature <= 1.0:
        raise ApiError(400, "temperature must be a number between 0 and 1", param="temperature")
    language = str(form.get("language") or "").strip().lower() or None
    if language is not None and not (language.isalpha() and 2 <= len(language) <= 3):
        raise ApiError(400, f"language must be an ISO-639-1 code such as 'en', not {language!r}", param="language")
    options = FileOptions(
        language=language,
        prompt=str(form.get("prompt") or "") or None,
        temperature=temperature,
        word_timestamps="word" in granularities,
    )
    return TranscriptionRequest(content, upload.filename or "file", options, response_format, granularities)


def openai_router(
    settings: ServerSettings,
    metrics: Metrics,
    model_label: str,
    ready_scheduler: Callable[[], ModelScheduler | None],
    authorized: Callable[[Request], bool],
    threads: ServiceThreads,
    limits: FileJobLimits,
) -> APIRouter:
    """The /v1 routes. ``ready_scheduler()`` is the shared model's scheduler, or None while it loads or drains;
    decoding and windows run on ``threads.files``."""
    router = APIRouter(prefix="/v1")
    limit = int(settings.max_upload_mb * 1_000_000)

    def check_access(request: Request) -> ModelScheduler:
        if not authorized(request):
            given = request.headers.get("authorization", "")
            message = (
                "Incorrect API key provided." if given else "You didn't provide an API key (Authorization: Bearer)."
            )
            raise ApiError(401, message, code="invalid_api_key", result="unauthorized")
        scheduler = ready_scheduler()
        if scheduler is None:
            raise ApiError(
                503,
                "the model is loading or the server is shutting down; retry shortly",
                None,
                "model_not_ready",
                kind="server_error",
                result="not_ready",
                retry_after=5,
            )
        return scheduler

    @router.get("/models")
    async def models(request: Request) -> Response:
        """The loaded model, in OpenAI's model list shape."""
        if not authorized(request):
            return ApiError(401, "You didn't provide a valid API key.", code="invalid_api_key").response()
        return JSONResponse(
            {"object": "list", "data": [{"id": model_label, "object": "model", "created": 0, "owned_by": "dictate"}]}
        )

    @router.post("/audio/transcriptions")
    async def transcriptions(request: Request) -> Response:
        """OpenAI's transcription endpoint (see the module docstring)."""
        started = time.monotonic()
        metrics.active_file_jobs.inc()
        admitted = False
        try:
            scheduler = check_access(request)
            if not (admitted := limits.admit_job()):
                await discard_body(request, 2 * (limit + FORM_OVERHEAD_BYTES))  # so that the client reads the 429
                raise server_busy(f"{settings.max_file_jobs} file transcriptions in progress, DICTATE_MAX_FILE_JOBS")
            return await transcribe_upload(request, scheduler, started)
        except ApiError as exc:
            metrics.file_jobs.labels(result=exc.result).inc()
            logger.info("file transcription refused (%d): %s", exc.status, exc.message)
            return exc.response()
        except Exception as exc:  # the model failed: say so in OpenAI's shape, keep serving
            logger.exception("file transcription failed")
            error = ApiError(500, f"transcription failed: {exc}", kind="server_error", result="failed")
            metrics.file_jobs.labels(result=error.result).inc()
            return error.response()
        finally:
            if admitted:
                limits.end_job()
            metrics.active_file_jobs.dec()

    def count_window(seconds: float) -> None:
        metrics.file_windows.inc()
        metrics.file_audio_seconds.inc(seconds)

    async def transcribe_upload(request: Request, scheduler: ModelScheduler, started: float) -> Response:
        form = await parse_form(request, await read_limited_body(request, limit))
        try:
            job = await read_request(form, limit)
        finally:
            await form.close()  # the parser's spooled copy of the upload
        what = f"the uploaded file {job.filename!r}"
        try:
            audio = await threads.files(decode_audio_bytes, job.content, what, settings.max_file_seconds)
        except AudioTooLongError as exc:
            raise ApiError(400, f"{exc} (DICTATE_MAX_FILE_SECONDS)", "file", "audio_too_long") from exc
        except AudioError as exc:
            raise ApiError(400, f"{exc} (send WAV, FLAC, OGG/Opus or MP3)", "file", "invalid_file_format") from exc
        seconds = audio.size / SAMPLE_RATE
        if not limits.queue(seconds):
            raise server_busy(f"{limits.queued_seconds:.0f} s of audio queued, DICTATE_MAX_QUEUED_FILE_SECONDS")
        remaining = seconds  # of this job, still in the queue's books

        def on_window(window_seconds: float) -> None:
            nonlocal remaining
            count_window(window_seconds)
            limits.done(window_seconds)
            remaining -= window_seconds

        try:
            transcript = await transcribe_file(
                scheduler, threads, audio, job.options, client_gone=request.is_disconnected, on_window=on_window
            )
        except ValueError as exc:  # faster-whisper: an unknown language code
            raise ApiError(400, f"cannot transcribe: {exc}", param="language") from exc
        finally:
            limits.done(max(0.0, remaining))  # abandoned or failed: what was left leaves the queue
        if transcript is None:
            metrics.file_jobs.labels(result="abandoned").inc()
            return Response(status_code=499)  # the client is gone: nobody reads this
        body, media_type = render(transcript, job.response_format, job.granularities)
        metrics.file_jobs.labels(result="ok").inc()
        metrics.file_job_seconds.observe(time.monotonic() - started)
        logger.info(
            "file transcribed: %.1f s of audio in %.1f s (%s)",
            transcript.duration,
            time.monotonic() - started,
            job.response_format.value,
        )
        return Response(body, media_type=media_type)

    return router
