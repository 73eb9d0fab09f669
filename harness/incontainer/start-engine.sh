#!/bin/sh
# Start the page's own Docker engine inside its sandbox (run as root).
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
dockerd >/var/log/dockerd.log 2>&1 &
for _ in $(seq 200); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 0.05
done
echo "dockerd did not answer within 10 s:" >&2
tail -20 /var/log/dockerd.log >&2
exit 1
