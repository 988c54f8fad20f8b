#!/bin/bash
# issue 20's soak: one server; 5 min at N=2 alone, then 15 min at N=2 beside 8 upload loops; RSS 60 s after each
cd /work/harden
port=47330
nice .venv/bin/python -m dictate serve --host 127.0.0.1 --port $port > /tmp/harden-soak/server.log 2>&1 &
pid=$!
for i in $(seq 180); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 1; done
date -u +"alone start %T" >> /tmp/harden-soak/times
nice .venv/bin/python -m dictate bench --server ws://127.0.0.1:$port/stream --soak 5 --concurrency 2 --interval 60 \
  --trailing-silence 1.5 --settle 60 --out /tmp/harden-soak/soak-n2-alone.json > /tmp/harden-soak/alone.log 2>&1
date -u +"uploads start %T" >> /tmp/harden-soak/times
nice .venv/bin/python -m dictate bench --server ws://127.0.0.1:$port/stream --soak 15 --concurrency 2 --interval 60 \
  --trailing-silence 1.5 --upload-loops 8 --settle 60 --out /tmp/harden-soak/soak-n2-uploads8.json > /tmp/harden-soak/uploads.log 2>&1
date -u +"sigterm %T" >> /tmp/harden-soak/times
start=$(date +%s.%N); kill -TERM $pid; wait $pid; echo "exit status $? after $(echo "$(date +%s.%N) - $start" | bc) s" >> /tmp/harden-soak/times
echo done >> /tmp/harden-soak/times
