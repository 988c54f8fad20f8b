"""Prometheus metrics of one app instance (own registry: no process-global state)."""

from __future__ import annotations

import os
import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    """Counters and histograms exported on /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total... (`dictate bench --soak`)
        ProcessCollector(registry=self.registry)
        self.threads = Gauge("dictate_process_threads", "OS threads of the server process.", registry=self.registry)
        self.threads.set_function(os_thread_count)
        self.active_sessions = Gauge("dictate_active_sessions", "WebSocket sessions open now.", registry=self.registry)
        self.sessions = Counter("dictate_sessions", "Sessions accepted.", registry=self.registry)
        self.rejected_sessions = Counter(
            "dictate_rejected_sessions", "Sessions refused, by reason.", ["reason"], registry=self.registry
        )
        self.audio_seconds = Counter("dictate_audio_seconds", "Seconds of audio received.", registry=self.registry)
        self.finals = Counter("dictate_finals", "Final utterances sent.", registry=self.registry)
        self.dropped_seconds = Counter(
            "dictate_speech_dropped_seconds",
            "Seconds of speech reported to clients as getting no final (speech_dropped errors: not transcribed "
            "before the end of the stream, hidden by a stall, or not taken for speech by the VAD).",
            registry=self.registry,
        )
        self.revisions = Counter(
            "dictate_revisions",
            "Revising final passes (speech joined across a thinking pause), by result: accepted (the final revises "
            "earlier ones) or rejected (its words did not align with theirs: the utterance's own final was sent).",
            ["result"],
            registry=self.registry,
        )
        self.end_of_speech_to_final = Histogram(
            "dictate_end_of_speech_to_final_seconds",
            "From the VAD's end of speech to the final text being sent.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.final_pass = Histogram(
            "dictate_final_pass_seconds",
            "Duration of the final transcription pass.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.loop_stalls = Counter(
            "dictate_loop_stalls", "Times the event loop woke 2 s or more late.", registry=self.registry
        )
        self.errors = Counter("dictate_errors", "Errors sent to clients, by code.", ["code"], registry=self.registry)
        # POST /v1/audio/transcriptions (OpenAI-compatible file jobs)
        self.file_jobs = Counter(
            "dictate_file_jobs",
            "File transcription requests, by result (ok, bad_request, too_large, unauthorized, not_ready, "
            "abandoned, failed).",
            ["result"],
            registry=self.registry,
        )
        self.active_file_jobs = Gauge(
            "dictate_active_file_jobs", "File transcriptions in progress now.", registry=self.registry
        )
        self.file_audio_seconds = Counter(
            "dictate_file_audio_seconds", "Seconds of uploaded audio transcribed.", registry=self.registry
        )
        self.file_windows = Counter(
            "dictate_file_windows", "File windows transcribed (each one scheduled model call).", registry=self.registry
        )
        self.file_job_seconds = Histogram(
            "dictate_file_job_seconds",
            "From a file's upload to its transcript.",
            buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0),
            registry=self.registry,
        )


def os_thread_count() -> int:
    """Threads of this process as the OS counts them (model and VAD threads included), else Python's count."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()
