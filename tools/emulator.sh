#!/usr/bin/env bash
# Start/stop the local AWS emulator (moto server, patched: see docs/emulator.md) on 127.0.0.1.
#   tools/emulator.sh start [PORT] [OPTIONS]   prints the endpoint URL; logs to .dpf-emulator/moto.log
#   tools/emulator.sh stop
# OPTIONS go to tools/moto_server.py, e.g. the time-scaled mode (docs/emulator.md):
#   tools/emulator.sh start --time-scale 60 --ssm-seconds 300
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.dpf-emulator
mkdir -p "$dir"
case "${1:-}" in
  start)
    shift
    if [[ "${1:-}" =~ ^[0-9]+$ ]]; then port="$1"; shift; else
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
    fi
    PYTHONUNBUFFERED=1 .venv/bin/python tools/moto_server.py -H 127.0.0.1 -p "$port" "$@" > "$dir/moto.log" 2>&1 &
    echo $! > "$dir/pid"
    for _ in $(seq 1 100); do
      # (Python, not curl: Python is needed anyway, curl may not be installed.)
      if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1; then echo "http://127.0.0.1:$port"; exit 0; fi
      if ! kill -0 "$(cat "$dir/pid")" 2> /dev/null; then break; fi
      sleep 0.2
    done
    echo "emulator did not start; see $dir/moto.log" >&2; tail -n 5 "$dir/moto.log" >&2; exit 1 ;;
  stop)
    if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -f "$dir/pid"; fi ;;
  *) echo "usage: $0 start [PORT] [--time-scale N [--ssm-seconds [DOC=]S]] | stop" >&2; exit 2 ;;
esac
