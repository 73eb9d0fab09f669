#!/bin/bash
# Test gpu_check.py without a GPU: against no driver (exit 2), and against fake_libcuda.c,
# a CPU stand-in for libcuda.so.1 (the product on the oldest driver and GPU it promises and on a
# current one, a driver too old for its PTX, then each kind of failure). Also checks that the
# embedded PTX is that of matmul.cu, declares PTX ISA 8.0 and .target sm_50, and assembles
# (needs nvcc, skipped without).
# Usage: tools/gpu-check/test-gpu-check.sh [PYTHON...]   (default: python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prog=$here/../../snippets/docker/gpu/gpu_check.py
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gcc -shared -fPIC -O1 -o "$work/libcuda.so.1" "$here/fake_libcuda.c"
failures=0

expect() {  # expect STATUS TEXT PYTHON [ENV...]: run the program, check its status and that TEXT is in its output
    local want=$1 text=$2 py=$3; shift 3
    local out status=0
    out=$(env "$@" "$py" "$prog" 2>&1) || status=$?
    if [[ $status == "$want" && $out == *"$text"* ]]; then
        echo "ok   $py ${*:-(no driver)}: exit $status"
    else
        echo "FAIL $py ${*:-(no driver)}: exit $status (wanted $want and '$text'):"; sed 's/^/     /' <<<"$out"
        failures=$((failures + 1))
    fi
}

for py in "${@:-python3}"; do
    fake=(LD_LIBRARY_PATH="$work")
    expect 2 "no CUDA driver (libcuda.so.1) in this container" "$py"
    # The fake is the oldest driver and GPU the program promises: CUDA 12.0, a Maxwell GPU (sm_50).
    expect 0 $'device: Fake GPU (a CPU stand-in)\ndriver CUDA version: 12.0\nmatrix product 256x256 on the GPU: max abs error 0.0 (ok)' "$py" "${fake[@]}"
    expect 0 $'driver CUDA version: 13.0\nmatrix product 256x256 on the GPU: max abs error 0.0 (ok)' "$py" "${fake[@]}" FAKE_CUDA_VERSION=13000 FAKE_CUDA_SM=90
    expect 1 "CUDA error 222: the provided PTX was compiled with an unsupported toolchain. (this program needs a driver for CUDA 12.0 or newer)" "$py" "${fake[@]}" FAKE_CUDA_VERSION=11080
    expect 1 "cuInit failed: CUDA error 100: no CUDA-capable device is detected" "$py" "${fake[@]}" FAKE_CUDA_FAIL=cuInit:100
    expect 1 "cuLaunchKernel failed: CUDA error 999: unknown error" "$py" "${fake[@]}" FAKE_CUDA_FAIL=cuLaunchKernel
    expect 1 "CUDA error 4242: unknown error" "$py" "${fake[@]}" FAKE_CUDA_FAIL=cuMemAlloc_v2:4242
    expect 1 "max abs error 0.5 (WRONG)" "$py" "${fake[@]}" FAKE_CUDA_WRONG=1
done

if command -v nvcc >/dev/null; then
    python3 "$here/embed_ptx.py" --check || failures=$((failures + 1))
else
    echo "skip PTX check: no nvcc here"
fi
exit $((failures > 0))
