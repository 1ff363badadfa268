#!/usr/bin/env bash
# Snapshot prerequisites on the lent GPU machine (issue 32): the facts a preflight reads,
# captured as files, then the two probes of snapshot-probe.py. Carries .gpu/criu
# (`scripts/fetch-criu.sh .gpu/criu` here). Everything goes to $OUT (or OUTDIR).
set -u
OUT=${OUT:-${OUTDIR:-/tmp/snapshot-out}}; mkdir -p "$OUT"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=python3
GIB_DRIVER=${GIB_DRIVER:-15}; GIB_CRIU=${GIB_CRIU:-4}
f="$OUT/facts.txt"
{
  echo "## date"; date -u
  echo "## uname -a"; uname -a
  echo "## /proc/driver/nvidia/version"; cat /proc/driver/nvidia/version
  echo "## nvidia-smi --query-gpu"; nvidia-smi --query-gpu=name,driver_version,memory.total,pci.bus_id --format=csv,noheader
  echo "## kernel.io_uring_disabled"; cat /proc/sys/kernel/io_uring_disabled 2>&1
  echo "## CapEff"; grep -E '^(Cap(Eff|Prm|Bnd)|Uid):' /proc/self/status
  echo "## which criu cuda-checkpoint"; command -v criu cuda-checkpoint || echo "(neither on PATH)"
  echo "## kernel config"; (zcat /proc/config.gz 2>/dev/null || cat /boot/config-"$(uname -r)" 2>/dev/null) \
     | grep -E 'CONFIG_(CHECKPOINT_RESTORE|NAMESPACES|PID_NS|FHANDLE|EVENTFD|EPOLL|INOTIFY_USER|UNIX_DIAG|INET_DIAG|PACKET_DIAG|NETLINK_DIAG|MEM_SOFT_DIRTY|USERFAULTFD|IO_URING|TIME_NS)=' \
     || echo "(no kernel config readable)"
  echo "## df /tmp /"; df -h /tmp / 2>&1
  echo "## libcuda checkpoint symbols"; nm -D "$(ldconfig -p | awk '/libcuda.so.1 /{print $NF; exit}')" 2>/dev/null | grep -i checkpoint || echo "(nm found none)"
} > "$f" 2>&1
cat "$f"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
nvidia-smi -q > "$OUT/nvidia-smi-q.txt" 2>&1
grep -n -A12 'CUcheckpointLockArgs_st\|CUcheckpointRestoreArgs_st' /usr/local/cuda/include/cuda.h > "$OUT/cuda-h-checkpoint.txt" 2>&1

echo "=== CRIU 4.1 (Debian trixie, carried)"
CRIU=$SRC/.gpu/criu/criu
{ echo "## criu --version"; $CRIU --version; echo "rc $?"
  echo "## criu check"; $CRIU check; echo "rc $?"
  echo "## criu check --all"; $CRIU check --all; echo "rc $?"
  echo "## plugins"; ls "$SRC"/.gpu/criu/root/usr/lib/criu 2>&1; } > "$OUT/criu-check.txt" 2>&1
cat "$OUT/criu-check.txt"

echo "=== driver checkpoint API, $GIB_DRIVER GiB"
timeout 300 "$PY" "$SRC/lab/gpu/snapshot-probe.py" driver "$GIB_DRIVER" 2>&1 | tee "$OUT/driver-probe.jsonl"
echo "=== driver + CRIU dump/restore, $GIB_CRIU GiB"
rm -rf /tmp/snap-img
timeout 300 "$PY" "$SRC/lab/gpu/snapshot-probe.py" criu "$GIB_CRIU" "$CRIU" /tmp/snap-img 2>&1 | tee "$OUT/criu-probe.jsonl"
cp /tmp/snap-img/dump.log "$OUT/criu-dump.log" 2>/dev/null; cp /tmp/snap-img/restore.log "$OUT/criu-restore.log" 2>/dev/null
echo DONE
