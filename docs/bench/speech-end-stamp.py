"""sent_at - speech_end of each final for short clips over a raw socket (works on old and new code)."""

import asyncio
import json
import os

from websockets.asyncio.client import connect

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import EmbeddedServer
from dictate.client.sender import stream_pcm

CLIPS = ["ps_cards_001.wav", "ps_goforward.wav", "ps_librivox_sns01_0880.wav", "ps_cards_002.wav"]


async def one(url, name):
    pcm = read_wav_as_pcm16(f"/work/shared/audio/{name}") + silence(1.5)
    out = []
    async with connect(url) as ws:
        json.loads(await ws.recv())  # ready
        sender = asyncio.create_task(stream_pcm(ws, pcm, 1.0))
        async for raw in ws:
            m = json.loads(raw)
            if m["type"] == "final" and m["text"].strip():
                out.append(round((m["sent_at"] - m["speech_end"]) * 1000, 1))
        await sender
    return out


env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
with EmbeddedServer(env=env) as s:
    for name in CLIPS:
        print(name, asyncio.run(one(s.url, name)), "ms", flush=True)
