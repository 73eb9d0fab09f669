#!/bin/bash
# Run ON THE GPU MACHINE (Ubuntu 24.04, NVIDIA driver, root, no container engine, no network),
# from the repository root, with .gpu/ carried (made here by tools/gpu-check/prepare.sh):
#
#   1. unpack the carried Podman under /opt/pod (as /work/shared/gpu/podman-gpu.sh does)
#   2. load the CUDA stand-in image
#   3. start `podman system service` on a socket: the Docker API the harness talks to
#   4. a venv with the harness's packages, from the carried wheels
#   5. show the host's GPU, then check the Docker API calls the harness makes (podman_api_check.py)
#   6. a direct check: nvidia-smi and gpu_check.py in a container given the GPU by hand
#   7. the harness on the GPU blocks: docs/docker.md and tests/pages/gpu-smoke.md
#
# Everything it prints also goes to $OUT/on-device.log; the harness's report to $OUT/gpu.xml and
# $OUT/gpu.log. Exit status: the harness's, or 1 when a step before it failed.
# The whole run keeps within BUDGET_S seconds (default 330), each step within its share.
#
# Settings, for a trial run on a machine without a GPU (tools/gpu-check/README.md):
#   POD_DIR (/opt/pod)  POD_STATE (/tmp/hb-pod)  POD_SOCK (/run/hb-podman.sock)
#   POD_RUNTIME (crun, or NAME:PATH of another OCI runtime)  OUT ($PWD/build/gpu-out)
#   API_CHECK (1)  CLEANUP (0; 1: stop and remove everything this script made)
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
gpu=$root/.gpu
OUT=${OUT:-$root/build/gpu-out}
pod=${POD_DIR:-/opt/pod}
state=${POD_STATE:-/tmp/hb-pod}
sock=${POD_SOCK:-/run/hb-podman.sock}
runtime=${POD_RUNTIME:-crun}
budget=${BUDGET_S:-330}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/on-device.log") 2>&1
t0=$(date +%s)
step() { printf '\n[%s +%3ss] %s\n' "$(date +%T)" $(($(date +%s) - t0)) "$*"; }
left() { echo $((budget - ($(date +%s) - t0))); }
die() { echo "on-device: $*" >&2; exit 1; }

created=()  # paths outside $pod and $state that this run made (CLEANUP=1 removes them)
for p in /usr/libexec/podman /var/lib/containers /run/crun /run/runc; do [[ -e $p ]] || created+=("$p"); done
svc=""
cleanup() {
    local status=$?
    if [[ -n $svc ]]; then
        timeout 30 "$state/bin/docker" rm -f -t 0 --all >/dev/null 2>&1
        kill "$svc" 2>/dev/null && wait "$svc" 2>/dev/null
        # conmon stays up to 5 minutes after each `exec`; ours name this run's storage
        local f p
        for f in /proc/[0-9]*/cmdline; do
            p=${f#/proc/}; p=${p%/cmdline}
            grep -qa -- "$state/root/" "$f" 2>/dev/null && kill "$p" 2>/dev/null
        done
    fi
    if [[ ${CLEANUP:-0} == 1 ]]; then
        [[ -x $state/bin/docker ]] && timeout 60 "$state/bin/docker" system reset -f >/dev/null 2>&1
        grep -o " $state[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
        rm -rf "$state" "$pod" "$sock" "${created[@]}"
        echo "cleaned up: $state $pod $sock ${created[*]}"
    fi
    step "end (exit $status)"
}
trap cleanup EXIT

step "start: $(uname -srm); $(python3 --version 2>&1); budget ${budget}s"
for f in pod.tar.xz cuda-image.tar.xz cuda-image.tag wheels/requirements-gpu.txt; do
    [[ -s $gpu/$f ]] || die "missing .gpu/$f: run tools/gpu-check/prepare.sh here and carry .gpu"
done
cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null | sed 's/^/cgroup2 controllers: /'

step "1. Podman under $pod"
mkdir -p "$pod" "$state"/{bin,tmp,cni} "$pod/home/.config/containers"
tar -C "$pod" -xJf "$gpu/pod.tar.xz" || die "unpacking pod.tar.xz failed"
libs=$pod/libs:$pod/usr/lib/x86_64-linux-gnu:$pod/lib/x86_64-linux-gnu
mkdir -p "$pod/wrap"
# Podman starts conmon with a clean environment: the library path travels in wrappers.
for b in conmon crun; do
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s/usr/bin/%s "$@"\n' "$libs" "$pod" "$b" > "$pod/wrap/$b"
    chmod +x "$pod/wrap/$b"
done
rt_name=${runtime%%:*}; rt_path=$pod/wrap/crun
[[ $runtime == *:* ]] && rt_path=${runtime#*:}
# Where a root Podman reads policy.json when $HOME has one: /etc stays untouched.
cp "$pod/etc/containers/policy.json" "$pod/home/.config/containers/policy.json"
cat > "$pod/containers.conf" <<CONF
[containers]
init_path = "$pod/usr/bin/catatonit"
[engine]
conmon_path = ["$pod/wrap/conmon"]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$state/tmp"
runtime = "$rt_name"
[engine.runtimes]
$rt_name = ["$rt_path"]
[network]
network_config_dir = "$state/cni"
CONF
# The Docker API's `init=True` ignores init_path: it wants catatonit at Podman's default place.
if [[ ! -e /usr/libexec/podman/catatonit ]]; then
    mkdir -p /usr/libexec/podman && ln -s "$pod/usr/bin/catatonit" /usr/libexec/podman/catatonit
fi
# One command line for the CLI, the service and the harness's `docker exec -it`: same storage, same config.
cat > "$state/bin/docker" <<WRAP
#!/bin/sh
# podman with this run's storage and configuration, standing in for the docker CLI
exec env HOME=$pod/home LD_LIBRARY_PATH=$libs CONTAINERS_CONF=$pod/containers.conf \\
    $pod/usr/bin/podman --root $state/root --runroot $state/run --storage-driver overlay "\$@"
WRAP
chmod +x "$state/bin/docker"
docker=$state/bin/docker
"$docker" version --format 'podman {{.Client.Version}}' || die "podman does not run"

step "2. load the CUDA stand-in image"
tag=$(cat "$gpu/cuda-image.tag")
xz -dc "$gpu/cuda-image.tar.xz" | timeout 120 "$docker" load -q || die "podman load failed"
image=localhost/$tag
"$docker" image exists "$image" || image=$tag
"$docker" images --format '{{.Repository}}:{{.Tag}} {{.Size}}'

step "3. podman system service on unix://$sock"
rm -f "$sock"
setsid "$docker" system service --time=0 "unix://$sock" > "$OUT/podman-service.log" 2>&1 < /dev/null &
svc=$!
for _ in $(seq 1 40); do
    python3 - "$sock" <<'PY' 2>/dev/null && break
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n"); assert b"OK" in s.recv(4096)
PY
    sleep 0.5
done
[[ -S $sock ]] || die "the service did not start; see $OUT/podman-service.log"
echo "answering (pid $svc)"

step "4. venv with the harness's packages"
venv=$state/venv
pipwhl=$(ls "$gpu"/wheels/pip-*.whl | tail -1)
if python3 -m venv --without-pip "$venv"; then
    py=$venv/bin/python
    timeout 120 "$py" "$pipwhl/pip" install -q --disable-pip-version-check --no-index \
        --find-links "$gpu/wheels" -r "$gpu/wheels/requirements-gpu.txt" || die "pip install failed"
else
    echo "no venv here: installing into $state/site for python3 instead"
    timeout 120 python3 "$pipwhl/pip" install -q --disable-pip-version-check --no-index --target "$state/site" \
        --find-links "$gpu/wheels" -r "$gpu/wheels/requirements-gpu.txt" || die "pip install failed"
    export PYTHONPATH=$state/site
    py=python3
fi
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1  # only the harness's plugin, whatever the host's Python has
"$py" -c 'import sys, docker, pytest, sybil, pexpect; print(sys.version.split()[0], "docker", docker.__version__, "pytest", pytest.__version__)' \
    || die "the harness's packages do not import"

export DOCKER_HOST=unix://$sock HANDBOOK_DOCKER_CLI=$docker PYTHONUNBUFFERED=1

step "5. the host's GPU, and the Docker API through Podman"
nvidia-smi -L || echo "(no working nvidia-smi on this machine)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null
nodes=(); for n in /dev/nvidia*; do [[ -c $n ]] && nodes+=("$n"); done
echo "device nodes: ${nodes[*]:-none}"
if [[ ${API_CHECK:-1} == 1 ]]; then
    timeout $(( $(left) > 240 ? 90 : 30 )) "$py" tools/gpu-check/podman_api_check.py "$image" "${nodes[@]}" \
        | tee "$OUT/podman-api.txt"
fi

step "6. direct check: nvidia-smi and gpu_check.py in a container given the GPU by hand"
run=(run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
for n in "${nodes[@]}"; do run+=(--device "$n"); done
while read -r name path; do
    run+=(-v "$path:/usr/local/nvidia/lib64/$name:ro")
done < <(ldconfig -p | awk '/x86-64/ && ($1=="libcuda.so.1" || $1=="libnvidia-ml.so.1" || $1=="libnvidia-ptxjitcompiler.so.1" || $1=="libnvidia-nvvm.so.4") && !seen[$1]++ {print $1, $NF}' \
         | while read -r name path; do echo "$name $(readlink -f "$path")"; done)
smi=$(command -v nvidia-smi) && run+=(-v "$(readlink -f "$smi"):/usr/bin/nvidia-smi:ro")
run+=(-e LD_LIBRARY_PATH=/usr/local/nvidia/lib64)
echo "docker ${run[*]} $image ..."
timeout 90 "$docker" "${run[@]}" "$image" sh -c 'nvidia-smi -L; python3 /usr/local/bin/gpu_check.py'
direct=$?
echo "direct check: exit $direct"

step "7. the harness: GPU blocks"
limit=$(left)
((limit > 30)) || die "no time left for the harness"
timeout --kill-after=10 "$((limit - 15))" env HANDBOOK_NETWORK=none HANDBOOK_CUDA_IMAGE="$image" \
    HANDBOOK_SANDBOX_IMAGE="$image" "$py" -m pytest -c pytest.ini --rootdir=. -p no:cacheprovider \
    -m gpu -v -rA docs/docker.md tests/pages/gpu-smoke.md --junitxml="$OUT/gpu.xml" 2>&1 | tee "$OUT/gpu.log"
harness=${PIPESTATUS[0]}

step "summary"
[[ -f $OUT/podman-api.txt ]] && grep -h " passed, " "$OUT/podman-api.txt" | sed "s/^/API check: /"
echo "direct check: exit $direct; harness: exit $harness"
exit "$harness"
