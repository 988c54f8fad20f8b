"""The other readers' clips as one stream for ``dictate bench`` (benchmark.md item 30): the five LibriVox clips
(one reader) and JFK's, 0.3 s apart (``long_slices.sources``' "others"), where a long final pass crosses from
one recording and speaker to the next. Writes DIR/others.wav (16 kHz mono) and DIR/manifest.tsv.

Usage: PYTHONPATH=src .venv/bin/python docs/bench/other-readers.py [DIR] (default /tmp/dictate-other-readers),
then ``dictate bench DIR/manifest.tsv``.
"""

import csv
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from long_slices import AUDIO, RATE, sources

out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/dictate-other-readers")
out.mkdir(parents=True, exist_ok=True)
audio = sources()["others"]
sf.write(out / "others.wav", (np.clip(audio, -1, 1) * 32767).astype(np.int16), RATE, subtype="PCM_16")
with open(AUDIO / "manifest.tsv", newline="") as f:
    said = {row["file"]: row["transcript"] for row in csv.DictReader(f, delimiter="\t")}
names = [*sorted(path.name for path in AUDIO.glob("ps_librivox*.wav")), "whisper_jfk.wav"]
transcript = " ".join(said[name] for name in names)
row = ("others.wav", f"{audio.size / RATE:.2f}", transcript, "a LibriVox reader, then JFK")
(out / "manifest.tsv").write_text("file\tduration_s\ttranscript\tspeaker\n" + "\t".join(row) + "\n")
print(out / "manifest.tsv")
