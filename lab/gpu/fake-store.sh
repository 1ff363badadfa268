#!/usr/bin/env bash
# Rehearsal stand-in for the store: something listening on 127.0.0.1:8073, restarted on demand.
pkill -f fake-store-8073 2>/dev/null; sleep 0.1
setsid python3 -c "import socket, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\", 8073)); s.listen(); time.sleep(3600)" fake-store-8073 < /dev/null > /dev/null 2>&1 &
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/8073) 2>/dev/null && exit 0; sleep 0.05; done; exit 1
