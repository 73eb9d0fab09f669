#!/bin/sh
# Start the page's own Docker engine inside its sandbox (run as root).
# Arguments go to dockerd (the remote-engine test adds a TCP listener).
# A container that is not --privileged sees the cgroup hierarchies read-only, and the
# nested engine must create cgroups for the page's containers. In a private cgroup
# namespace we may mount fresh, writable views of our own part of the tree.
set -u
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    umount /sys/fs/cgroup && mount -t cgroup2 -o rw,nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
    # cgroup v2 allows no processes in an inner cgroup that delegates controllers
    mkdir -p /sys/fs/cgroup/init
    xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
    sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control
else
    for d in /sys/fs/cgroup/*/; do
        n=$(basename "$d")
        case "$n" in
            systemd) opts=none,name=systemd ;;
            unified) continue ;;
            *) opts=$n ;;
        esac
        umount "$d" && mount -t cgroup -o "$opts" cgroup "$d"
    done
fi
# CDI on, so that a GPU page can hand devices to its containers by name
# (`--device nvidia.com/gpu=all`) once a spec is in /etc/cdi or /var/run/cdi.
mkdir -p /etc/docker
[ -s /etc/docker/daemon.json ] || echo '{"features": {"cdi": true}}' > /etc/docker/daemon.json
# Docker 26 fails to start containers ("failed to disable IPv6 on container's
# interface eth0") where the sandbox's /proc/sys/net is read-only; this lets
# them start with IPv6 left as it is.
DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1 dockerd "$@" >/var/log/dockerd.log 2>&1 &
# Docker 26 takes a few seconds to start, and many more on a busy machine (its containerd
# alone took 7 s with the test suite's two workers and their nested engines running).
limit=90
end=$(( $(date +%s) + limit ))
while [ "$(date +%s)" -lt "$end" ]; do
    docker info >/dev/null 2>&1 && exit 0
    sleep 0.05
done
echo "dockerd did not answer within $limit s:" >&2
tail -20 /var/log/dockerd.log >&2
exit 1
