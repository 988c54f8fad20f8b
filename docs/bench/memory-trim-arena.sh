#!/bin/bash
# item 13: RSS after load, glibc defaults + malloc_trim after 30 s idle vs MALLOC_ARENA_MAX=2 without trim
cd /work/harden
run() {  # name, port, env...
  name=$1; port=$2; shift 2
  env "$@" nice .venv/bin/python -m dictate serve --host 127.0.0.1 --port $port > /tmp/harden-mem/$name-server.log 2>&1 &
  pid=$!
  for i in $(seq 120); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 1; done
  nice .venv/bin/python -m dictate bench --server ws://127.0.0.1:$port/stream --soak 3 --concurrency 2 --interval 60 \
    --trailing-silence 1.5 --upload-loops 8 --settle 45 --out /tmp/harden-mem/$name.json > /tmp/harden-mem/$name-bench.log 2>&1
  kill -TERM $pid; wait $pid
}
run trim 47321 DICTATE_TRIM_AFTER_IDLE=30
run arena2 47322 MALLOC_ARENA_MAX=2 DICTATE_TRIM_AFTER_IDLE=0
echo done > /tmp/harden-mem/done
