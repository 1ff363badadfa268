#!/usr/bin/env bash
# Pre-run hook for benchmark scripts: `source scripts/prerun-hook.sh` (or run it) before the
# benchmark. It runs `sllm-doctor check` and stops the script, with the doctor's report,
# when anything failed.
#   SLLM_DOCTOR       path to the binary (default: sllm-doctor on PATH, else .build/release)
#   SLLM_DOCTOR_ARGS  extra flags, e.g. "--offline --ignore gpu"
_sllm_doctor="${SLLM_DOCTOR:-$(command -v sllm-doctor || echo "$(dirname "${BASH_SOURCE[0]}")/../.build/release/sllm-doctor")}"
if ! _sllm_report="$("$_sllm_doctor" check ${SLLM_DOCTOR_ARGS:-} 2>&1)"; then
    printf '%s\n' "$_sllm_report" >&2
    echo "prerun-hook: sllm-doctor check failed; not starting the benchmark." >&2
    # Sourced: stop the calling script. Run directly: exit.
    if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then exit 1 2>/dev/null || return 1; else exit 1; fi
fi
unset _sllm_report _sllm_doctor
