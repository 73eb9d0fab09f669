#!/bin/bash
# Run HERE (the Debian 12 build machine, root, with Docker and the project's venv): fills .gpu/
# with what the GPU machine lacks and cannot download, so that tools/gpu-check/on-device.sh can
# run the GPU blocks there. The device call carries .gpu/ (see tools/gpu-check/README.md).
#
#   .gpu/pod.tar.xz           Podman 4.3 + conmon + crun + libraries (/work/shared/gpu/pack-podman.sh)
#   .gpu/wheels/              the harness's Python packages for Python 3.10-3.12, and pip itself
#   .gpu/cuda-image.tar.xz    `docker save` of the CUDA stand-in image (harness/cuda_image.py)
#   .gpu/cuda-image.tag       its tag; .gpu/cuda-image.id: its id (to reuse the archive)
#
# Each part is reused while its inputs are unchanged; FRESH=1 redoes all of them.
# A device call carries at most 64 MiB (tracked and untracked files + carried folders): the
# script fails when .gpu/ is over LIMIT_MIB (default 45).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
gpu=$root/.gpu
py=${PYTHON:-$root/.venv/bin/python}
limit=${LIMIT_MIB:-45}
pack=${PACK_PODMAN:-/work/shared/gpu/pack-podman.sh}
t0=$(date +%s)
step() { printf '[%s +%3ss] %s\n' "$(date +%T)" $(($(date +%s) - t0)) "$*"; }

[[ -x $py ]] || { echo "no $py: run 'make venv' first (or set PYTHON)" >&2; exit 1; }
git check-ignore -q .gpu/x || { echo ".gpu/ must be git-ignored (it is in .gitignore)" >&2; exit 1; }
[[ ${FRESH:-0} == 1 ]] && rm -rf "$gpu"
mkdir -p "$gpu"

step "Podman pack"
if [[ -s $gpu/pod.tar.xz ]]; then
    echo "reused $(du -h "$gpu/pod.tar.xz" | cut -f1)"
else
    bash "$pack" "$gpu"
fi

step "wheels for Python 3.10, 3.11, 3.12"
# Pins from requirements.txt; sybil 10 needs Python 3.11, so 3.10 gets the newest sybil that
# supports it (on the device, pip picks the newest wheel that fits the interpreter).
# `pip download --python-version` judges markers such as `python_version < "3.11"` by the
# Python running it, so pytest's backports for 3.10 are named outright.
rm -rf "$gpu/wheels"; mkdir -p "$gpu/wheels"
grep -E '^(sybil|docker|pexpect|pytest|pytest-xdist)==' requirements.txt > "$gpu/wheels/requirements-gpu.txt"
grep -v '^sybil==' requirements.txt > "$gpu/wheels/.constraints-3.10.txt"
for v in 3.10 3.11 3.12; do
    reqs=(-r "$gpu/wheels/requirements-gpu.txt" -c requirements.txt)
    [[ $v == 3.10 ]] && reqs=(sybil docker pexpect pytest pytest-xdist exceptiongroup tomli typing-extensions
                              -c "$gpu/wheels/.constraints-3.10.txt")
    "$py" -m pip download -q --disable-pip-version-check --only-binary=:all: --python-version "$v" \
        -d "$gpu/wheels" "${reqs[@]}" pip 2>&1 | grep -v "^WARNING: Location" || true
done
rm "$gpu/wheels/.constraints-3.10.txt"
# the device installs the newest wheel that fits: no version pins there
sed -i 's/==.*//' "$gpu/wheels/requirements-gpu.txt"
ls "$gpu/wheels" | sed 's/^/  /'

step "CUDA stand-in image"
tag=$("$py" -m harness.cuda_image | tail -1 | cut -d' ' -f1)
id=$(docker image inspect -f '{{.Id}}' "$tag")
echo "$tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.1f MiB", $1/1048576}'))"
if [[ -s $gpu/cuda-image.tar.xz && $(cat "$gpu/cuda-image.id" 2>/dev/null) == "$id" ]]; then
    echo "archive reused"
else
    rm -f "$gpu/cuda-image.tar.xz" "$gpu/cuda-image.id"
    docker save "$tag" | xz -T0 -9 > "$gpu/cuda-image.tar.xz.part"
    mv "$gpu/cuda-image.tar.xz.part" "$gpu/cuda-image.tar.xz"
    echo "$id" > "$gpu/cuda-image.id"
fi
echo "$tag" > "$gpu/cuda-image.tag"

step "sizes"
mib() { awk '{printf "%.1f MiB", $1/1048576}'; }
gpu_bytes=$(du -sb "$gpu" | cut -f1)
tree_bytes=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 du -cb 2>/dev/null \
              | awk '$2=="total"{s+=$1} END{print s+0}')
du -h "$gpu"/* | sed 's/^/  /'
echo "  .gpu/ total: $(mib <<<"$gpu_bytes"); working tree that travels too: $(mib <<<"$tree_bytes");" \
     "carried in all: $(mib <<<$((gpu_bytes + tree_bytes))) of 64 MiB"
if ((gpu_bytes > limit * 1048576)); then
    echo ".gpu/ is over ${limit} MiB: the device call would not fit" >&2
    exit 1
fi
step "done"
