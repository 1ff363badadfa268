"""A stand-in server with a stubborn process tree, for the template's tests: it forks an "engine"
that ignores SIGTERM, and the engine forks a "worker" that ignores SIGTERM too and leaves the
server's process group (its own session), so only a SIGKILL to each of them ends the tree.
Each process writes its pid to the events file (JSON lines)."""
import argparse
import json
import os
import signal
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--events", required=True)
args = p.parse_args()


def event(kind):
    with open(args.events, "a") as f:
        f.write(json.dumps({"event": kind, "pid": os.getpid()}) + "\n")


def forever():
    while True:
        time.sleep(1)


signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
event("start")
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.fork() == 0:
        os.setsid()
        event("worker")
        forever()
    event("engine")
    forever()
forever()
