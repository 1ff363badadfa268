#!/usr/bin/env bash
# ServerlessLLM Store on the H100 without vLLM: build it, then a round trip with real tensors:
# write a rank with our writer (writer.py), start sllm-store on loopback, load it onto the GPU
# with sllm_store.torch.load_dict, and compare every tensor. Also whether the extension's own
# writer (save_dict) runs. Prints one verdict line per step.
#   store-smoke.sh [static|shared]     (CARRY=/tmp/carry)
set -u
GLOG=${1:-static}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY=/opt/torch/.venv/bin/python3
SITE=/tmp/sllm-site-$GLOG
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }
if [ ! -d "$SITE/sllm_store" ]; then
  step "build ($GLOG glog)"
  bash "$SRC/lab/gpu/build-sllm-store.sh" "$SITE" "$GLOG" || { tail -30 "$SITE.log"; exit 1; }
fi
export PYTHONPATH=$SRC/integrations/vllm-serverless-llm:$SITE
export LD_LIBRARY_PATH=$SITE/sllm_store:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
step "what the extension links"
ldd "$SITE"/sllm_store/_C*.so | grep -E "stdc|glog|cudart|gcc_s" || true
echo "std:: symbols defined inside _C: $(nm -C --defined-only "$SITE"/sllm_store/_C*.so | grep -c ' [TWV] std::')"
step "the extension's own writer (save_dict)"
timeout 60 "$PY" -X faulthandler -c "
import torch
from sllm_store.torch import save_dict
save_dict({'a': torch.randn(4, 4), 'b': torch.ones(8, dtype=torch.bfloat16)}, '/tmp/smoke-sd/rank_0')
print('save_dict: ok')" 2>&1 | grep -E "save_dict|Fatal|Error" | head -3
step "round trip: writer.py -> sllm-store -> load_dict on the GPU"
# The store reads with O_DIRECT: its folder must be on a filesystem that takes it (ext4 here,
# as on the NVMe), not on the machine's overlay /tmp.
umount /tmp/smoke-store 2>/dev/null; rm -rf /tmp/smoke-store; mkdir -p /tmp/smoke-store
truncate -s 2G /tmp/smoke.img && mkfs.ext4 -q -F /tmp/smoke.img && mount -o loop /tmp/smoke.img /tmp/smoke-store
findmnt -no SOURCE,FSTYPE /tmp/smoke-store
timeout 60 "$PY" -c "
import torch
from vllm_serverless_llm.writer import write_rank
torch.manual_seed(0)
state = {f'layer.{i}.weight': torch.randn(1000 + i, 333, dtype=torch.bfloat16) for i in range(6)}
state['norm.weight'] = torch.randn(7)
state['tied'] = state['layer.0.weight']
torch.save(state, '/tmp/smoke-ref.pt')
print('written', write_rank(state, '/tmp/smoke-store/vllm/t/smoke/rank_0'))
from sllm_store.torch import save_dict
save_dict({k: v for k, v in state.items() if k != 'tied'}, '/tmp/smoke-store/vllm/t/sd/rank_0')
print('save_dict layout written')" 2>&1 | grep -v "Saving tensors"
pkill -f "[v]llm_serverless_llm.store_server" 2>/dev/null
setsid "$PY" -m vllm_serverless_llm.store_server --storage-path /tmp/smoke-store --mem-pool-size ${SMOKE_POOL:-4GB} \
  --chunk-size 16MB --num-thread 4 > /tmp/smoke-store.log 2>&1 < /dev/null &
for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/8073) 2>/dev/null && break; sleep 0.1; done
for which in ${ROUNDTRIP:-sd smoke}; do
timeout 120 "$PY" -X faulthandler -c "
import time, torch
from sllm_store.torch import load_dict
ref = torch.load('/tmp/smoke-ref.pt')
t = time.time()
got = load_dict('vllm/t/$which/rank_0', {'': 0}, '/tmp/smoke-store')
print('load_dict $which: %d tensors in %.3f s' % (len(got), time.time() - t))
bad = [k for k in got if not torch.equal(ref[k], got[k].cpu())]
print('round trip $which:', 'ok' if not bad else 'MISMATCH ' + ', '.join(bad), '| devices', sorted({str(v.device) for v in got.values()}))" 2>&1 | grep -v "^ERROR.*client.py" | tail -4
done
grep -v "^I2" /tmp/smoke-store.log | tail -8; grep "^E2\|^W2\|^F2" /tmp/smoke-store.log | head -5
pkill -f "[v]llm_serverless_llm.store_server" 2>/dev/null
exit 0
