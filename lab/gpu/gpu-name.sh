#!/usr/bin/env bash
# Prints the GPU's name as nvidia-smi gives it ("NVIDIA H200"), for notes and logs: the lent
# machine changed from an H100 to an H200 under the same scripts, and a fixed word in a note
# then says the wrong card. Without nvidia-smi (the loopback rehearsal): "no GPU".
name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | sed 's/[[:space:]]*$//')
echo "${name:-no GPU}"
