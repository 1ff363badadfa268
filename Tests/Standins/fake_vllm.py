#!/usr/bin/env python3
"""A loopback stand-in for vLLM's OpenAI server, for tests and rehearsals where no GPU exists.

It behaves like `vllm serve` from the outside: logs start-up lines in vLLM 0.26's wording
while "loading", binds the port only when ready (like uvicorn after startup), answers
GET /v1/models, streams POST /v1/completions as SSE with per-token delays, and can crash,
ignore SIGTERM, or sleep/wake (/sleep, /wake_up, /is_sleeping with VLLM_SERVER_DEV_MODE=1).
It writes the instants that matter (ready, first token) to --events FILE as JSON lines, so a
test can compare what the benchmark measured against what the server really did.
"""
import argparse, gc, itertools, json, os, signal, socket, sys, threading, time, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import fake_vllm_imports  # vLLM's import cost (FAKE_VLLM_IMPORT_DELAY), paid once per interpreter

p = argparse.ArgumentParser()
p.add_argument("model_path", nargs="?", default="fake/model")
p.add_argument("--port", type=int, default=8000)
p.add_argument("--served-model-name", default=None)
p.add_argument("--ready-delay", type=float, default=0.5, help="seconds from start to listening")
p.add_argument("--crash-after", type=float, default=None, help="exit with --exit-code after this many seconds, before ready")
p.add_argument("--exit-code", type=int, default=1)
p.add_argument("--ignore-sigterm", action="store_true")
p.add_argument("--first-token-delay", type=float, default=0.05)
p.add_argument("--token-delay", type=float, default=0.005)
p.add_argument("--tokens", type=int, default=64)
p.add_argument("--cold-extra", type=float, default=0.0, help="extra delay on the first completion only")
p.add_argument("--sleep-delay", type=float, default=0.2)
p.add_argument("--wake-delay", type=float, default=0.1)
p.add_argument("--enable-sleep-mode", action="store_true")
p.add_argument("--events", default=None)
p.add_argument("--load-format", default="safetensors")
p.add_argument("--stop-delay", type=float, default=0.05)
p.add_argument("--echo", default=None, help="print this line at start (e.g. to leak a token in a test)")
p.add_argument("--empty-text", action="store_true", help="stream tokens whose text is empty (random-weight models)")
p.add_argument("--stream-forever", action="store_true", help="ignore max_tokens: stream tokens until the client hangs up")
p.add_argument("--huge-lines", type=int, default=0, help="with --crash-after: print this many 16 MiB lines before the crash")
p.add_argument("--die-mid-stream", type=int, default=None, help="exit abruptly after streaming this many tokens")
p.add_argument("--die-on-completion", type=int, default=None, metavar="N",
               help="with --die-mid-stream: die only in the Nth completion (1 = the first), serve the others")
p.add_argument("--engine-child", action="store_true", help="fork a child like vLLM's engine core (logs its pid as an event)")
p.add_argument("--enforce-eager", action="store_true")
p.add_argument("--hold-semaphore", action="store_true",
               help="hold a multiprocessing lock, as vLLM does: a POSIX semaphore in /dev/shm, mapped and already unlinked")
p.add_argument("--compilation-config", default=None)
p.add_argument("--kill-template-once", default=None, metavar="FILE",
               help="on the first start that finds no FILE: create it and SIGKILL the template, the parent of this "
                    "server's supervisor (a template crashing under its server)")
p.add_argument("--append-to", default=None, metavar="FILE",
               help="append a line to FILE at start (a package upgraded on disk while a template holds the old one)")
p.add_argument("--kv-cache-memory-bytes", type=int, default=None, help="skip the KV-cache memory profile, as vLLM does")
p.add_argument("--cache-key-changes-after", type=int, default=None,
               help="from this many starts on, the compile cache key is a new one (as after a flag or version change)")
args, _unknown = p.parse_known_args()
if args.hold_semaphore:
    import multiprocessing
    _held_lock = multiprocessing.Lock()

# Start-up knobs, as bench --explore turns them: each changes the start-up time and the
# decode speed the way it does on vLLM (in kind, not in size: the real figures come from a GPU).
# Eager: no compile, no graphs, slower decode. Fewer graphs: a little faster up, a hair slower
# decode. Loaders: faster weights. An empty VLLM_CACHE_ROOT: torch.compile from scratch.
eager = args.enforce_eager
few_graphs = bool(args.compilation_config and "cudagraph_capture_sizes" in args.compilation_config)
# torch.compile off ({"mode": 0}) with full CUDA graphs for decode: no compile cache, no compile
# phase; decode a hair slower than with the compiled graph.
try:
    no_compile = json.loads(args.compilation_config or "{}").get("mode") in (0, "NONE", "none")
except ValueError:
    no_compile = False
cache_root = os.environ.get("VLLM_CACHE_ROOT")
compile_miss = False
if cache_root and not eager and not no_compile:
    # One folder per cache key, as vLLM keeps torch_compile_cache/<hash>/.
    key = "fake-" + ("%08x" % zlib.crc32(args.compilation_config.encode()) if args.compilation_config else "default")
    if args.cache_key_changes_after is not None:
        counter = os.path.join(cache_root, "fake-starts")
        os.makedirs(cache_root, exist_ok=True)
        starts = int(open(counter).read()) if os.path.exists(counter) else 0
        open(counter, "w").write(str(starts + 1))
        if starts >= args.cache_key_changes_after:
            key += "-v2"
    marker = os.path.join(cache_root, "torch_compile_cache", key, "graph")
    compile_miss = not os.path.exists(marker)
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    open(marker, "w").write("compiled\n")
scale = 1.0
if eager:
    scale *= 0.6
    args.token_delay *= 1.6
elif no_compile:
    scale *= 0.8
    args.token_delay *= 1.03
elif few_graphs:
    scale *= 0.85
    args.token_delay *= 1.02
# One loader helps, the other does not: the test sees explore keep one and drop the other.
scale *= {"fastsafetensors": 0.9, "runai_streamer": 1.05}.get(args.load_format, 1.0)
if os.environ.get("VLLM_ENABLE_V1_MULTIPROCESSING") == "0":
    # The engine in the API server's process: one interpreter start instead of two.
    scale *= 0.7
    args.token_delay *= 1.01
if os.environ.get("VLLM_WORKER_MULTIPROC_METHOD") == "fork":
    # The engine process forked from the API server: no second interpreter start.
    scale *= 0.75
if args.kv_cache_memory_bytes:
    # No memory profile: the KV-cache phase is shorter (vLLM still runs one dummy forward pass).
    scale *= 0.96
if compile_miss:
    scale *= 1.5
args.ready_delay *= scale

T0 = time.time()
model = args.served_model_name or args.model_path
state = {"sleeping": False, "completions": 0, "level": 0}
lock = threading.Lock()

def log(msg, pid=None):
    stamp = time.strftime("%m-%d %H:%M:%S")
    prefix = f"(EngineCore pid={pid}) " if pid else ""
    print(f"{prefix}INFO {stamp} [fake.py:1] {msg}", flush=True)

def event(kind, **kw):
    if args.events:
        with open(args.events, "a") as f:
            f.write(json.dumps({"event": kind, "t": time.time(), **kw}) + "\n")

def on_term(signum, frame):
    if args.ignore_sigterm:
        log("SIGTERM ignored")
        return
    log("Shutting down")
    time.sleep(args.stop_delay)
    sys.exit(0)

signal.signal(signal.SIGTERM, on_term)
event("start", pid=os.getpid(), imports_inherited=fake_vllm_imports.loaded_by != os.getpid(), gc_frozen=gc.get_freeze_count())
if args.ignore_sigterm:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
if args.append_to:
    with open(args.append_to, "a") as f:
        f.write("# changed by a server start\n")
if args.kill_template_once and not os.path.exists(args.kill_template_once):
    open(args.kill_template_once, "w").close()
    with open(f"/proc/{os.getppid()}/stat") as f:
        template = int(f.read().rsplit(")", 1)[1].split()[1])
    os.kill(template, signal.SIGKILL)

if args.engine_child:
    # Like vLLM's EngineCore: a second process that lives as long as it is not killed.
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        while True:
            time.sleep(1)
    event("engine", pid=child)

log(f"vLLM API server version 0.26.0")
if args.echo:
    log(args.echo)
log(f"non-default args: {{'model': '{args.model_path}', 'port': {args.port}, 'load_format': '{args.load_format}'}}")
d = args.ready_delay
weights_line = ("[RunAI Streamer] Overall time to stream 1.2 GiB of all files to cpu: %.2fs" % (d * 0.08)
                if args.load_format == "runai_streamer" else "Loading weights took %.2f seconds" % (d * 0.08))
compile_line = ("Compiling a graph for compile range (1, 8192) takes %.2f s" % (d * 0.2) if compile_miss
                else "Directly load the compiled graph(s) for compile range (1, 8192) from the cache, took 0.711 s")
phases = [
    (0.25, "Initializing a V1 LLM engine (v0.26.0) with config: model='%s'" % args.model_path, True),
    (0.35, weights_line, True),
    (0.40, "Model loading took 1.24 GiB and %.6f seconds" % (d * 0.1), True),
]
if not eager and not no_compile:
    phases += [(0.45, compile_line, True), (0.55, "torch.compile took %.2f s in total" % (d * 0.1), True)]
phases += [
    (0.60, "Available KV cache memory: 61.13 GiB" if not args.kv_cache_memory_bytes else
     "Initial free memory 139.00 GiB, reserved %.2f GiB memory for KV Cache as specified by kv_cache_memory_bytes config and skipped memory profiling." % (args.kv_cache_memory_bytes / 2**30), True),
    (0.65, "GPU KV cache size: 572,352 tokens", True),
]
if not eager:
    phases.append((0.80, "Graph capturing finished in %d secs, took 0.47 GiB" % (1 if few_graphs else 6), True))
phases += [
    (0.92, "init engine (profile, create kv cache, warmup model) took %.2f s (compilation: %.2f s)" % (d * 0.5, d * 0.1), True),
    (0.97, "Starting vLLM server on http://0.0.0.0:%d" % args.port, False),
]
for frac, msg, engine in phases:
    target = T0 + d * frac
    if args.crash_after is not None and target - T0 >= args.crash_after:
        break
    time.sleep(max(0, target - time.time()))
    log(msg, pid=os.getpid() + 1 if engine else None)
if args.crash_after is not None:
    time.sleep(max(0, T0 + args.crash_after - time.time()))
    for _ in range(args.huge_lines):
        sys.stderr.write("x" * (16 << 20) + "\n")
    sys.stderr.flush()
    print("OSError: We couldn't connect to 'https://huggingface.co' to load the files, and couldn't find them in the cached files.", file=sys.stderr, flush=True)
    print("huggingface_hub.errors.LocalEntryNotFoundError: Cannot find the requested files in the disk cache and outgoing traffic has been disabled. To enable hf.co look-ups and downloads online, set 'HF_HUB_OFFLINE=0' as environment variable.", file=sys.stderr, flush=True)
    event("crash", code=args.exit_code)
    sys.exit(args.exit_code)
time.sleep(max(0, T0 + d - time.time()))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        print('INFO:     127.0.0.1 - "%s"' % (fmt % a), flush=True)

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/v1/models":
            return self.send_json(200, {"object": "list", "data": [{"id": model, "object": "model", "owned_by": "vllm"}]})
        if self.path == "/health":
            return self.send_json(200, {})
        if self.path == "/is_sleeping" and args.enable_sleep_mode and os.environ.get("VLLM_SERVER_DEV_MODE") == "1":
            return self.send_json(200, {"is_sleeping": state["sleeping"]})
        self.send_json(404, {"detail": "Not Found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        path = self.path.split("?")[0]
        dev = args.enable_sleep_mode and os.environ.get("VLLM_SERVER_DEV_MODE") == "1"
        if path == "/sleep" and dev:
            level = 1
            if "level=" in self.path:
                level = int(self.path.split("level=")[1].split("&")[0])
            time.sleep(args.sleep_delay)
            with lock:
                state["sleeping"], state["level"] = True, level
            log("CuMemAllocator: sleep freed 66.55 GiB memory in total, of which 15.55 GiB is backed up in CPU and the rest 51.00 GiB is discarded directly.", pid=os.getpid() + 1)
            log("Sleep mode freed 67.08 GiB memory, 1.96 GiB memory is still in use.", pid=os.getpid() + 1)
            event("slept", level=level)
            self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
            return
        if path == "/wake_up" and dev:
            event("wake_start")
            time.sleep(args.wake_delay)
            with lock:
                state["sleeping"] = False
            event("awake")
            self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
            return
        if path == "/collective_rpc" and dev:
            time.sleep(args.wake_delay)
            with lock:
                state["level"] = 0
            return self.send_json(200, {"results": [None]})
        if path != "/v1/completions":
            return self.send_json(404, {"detail": "Not Found"})
        # The client saw ready before it sent this: an upper bound no load can move.
        event("completion_request")
        if state["sleeping"]:
            return self.send_json(503, {"error": "engine is sleeping"})
        req = json.loads(raw or b"{}")
        if req.get("model") != model:
            return self.send_json(404, {"error": {"message": f"The model `{req.get('model')}` does not exist."}})
        # ignore_eos: exactly max_tokens, as vLLM does (the decode probe's fixed length).
        max_tokens = int(req.get("max_tokens", 16)) if req.get("ignore_eos") else min(int(req.get("max_tokens", 16)), args.tokens)
        with lock:
            first = state["completions"] == 0
            state["completions"] += 1
            nth = state["completions"]
        delay = args.first_token_delay + (args.cold_extra if first else 0)
        if not req.get("stream"):
            time.sleep(delay + args.token_delay * max_tokens)
            return self.send_json(200, {"choices": [{"text": " tok" * max_tokens}],
                                        "usage": {"prompt_tokens": 9, "completion_tokens": max_tokens, "total_tokens": 9 + max_tokens}})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(data: bytes):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        # vLLM sends a role/empty event first in chat; for completions the first event has text.
        time.sleep(delay)
        try:
            self.stream_tokens(chunk, model, max_tokens, req, nth)
        except (BrokenPipeError, ConnectionResetError):
            event("client_hung_up")

    def stream_tokens(self, chunk, model, max_tokens, req, nth):
        dies = args.die_mid_stream is not None and args.die_on_completion in (None, nth)
        for i in (itertools.count() if args.stream_forever else range(max_tokens)):
            if dies and i >= args.die_mid_stream:
                event("died_mid_stream", tokens=i)
                os._exit(3)
            if i == 0:
                event("first_token")
                first_at = time.monotonic()
            else:
                # Token i is due at first + i * delay: a late wake-up (a loaded machine) does not
                # add up over the stream, so the decode rate is the configured one.
                time.sleep(max(0.0, first_at + i * args.token_delay - time.monotonic()))
            ev = {"id": "cmpl-1", "object": "text_completion", "model": model,
                  "choices": [{"index": 0, "text": "" if args.empty_text else " tok", "finish_reason": None}], "usage": None}
            chunk(b"data: " + json.dumps(ev).encode() + b"\n\n")
        usage = {"prompt_tokens": 9, "completion_tokens": max_tokens, "total_tokens": 9 + max_tokens}
        if (req.get("stream_options") or {}).get("include_usage"):
            chunk(b"data: " + json.dumps({"id": "cmpl-1", "choices": [], "usage": usage}).encode() + b"\n\n")
        chunk(b"data: [DONE]\n\n")
        chunk(b"")


class Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


srv = Server(("127.0.0.1", args.port), Handler)
event("ready", port=args.port)
log("Application startup complete.")
srv.serve_forever()
