# The sandbox every handbook page runs in: a fresh Debian 13 (trixie) machine
# as a reader sets one up today, plus a Docker engine for the pages about
# containers: Debian 13's Docker 26 with BuildKit (buildx) and Compose v2.
# Built by `python -m harness.images` (BuildKit, no registry: the base image is
# the local debian:trixie-slim, which already trusts the CA bundle the
# harness configured, so pip below works behind a TLS-intercepting proxy).
FROM debian:trixie-slim

# --no-install-recommends keeps compilers and friends out. Two traps of
# Debian 13's packaging: docker.io no longer brings the `docker` command
# (that is docker-cli), and BuildKit builds need docker-buildx. Debian 13
# has no pip-tools package: pages install it into a venv from PyPI, as a
# reader does.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git git-lfs make curl wget ca-certificates \
      python3 python3-venv python3-pip \
      docker.io docker-cli docker-buildx docker-compose iptables \
      sudo procps file jq tree less bash-completion \
      openssh-client openssh-server unzip xz-utils iproute2 time \
 && rm -rf /var/lib/apt/lists/*

# Notebook pages need Jupyter, but the reader's python3 must look untouched
# (no pandas outside a venv), so the tools live in their own venv, off PATH,
# and only its kernel is registered system-wide as the default "python3".
COPY requirements/sandbox-jupyter.txt /tmp/sandbox-jupyter.txt
RUN python3 -m venv /opt/jupyter \
 && /opt/jupyter/bin/pip install --no-cache-dir --disable-pip-version-check \
      -r /tmp/sandbox-jupyter.txt \
 && /opt/jupyter/bin/python -m ipykernel install --prefix /usr/local \
      --name python3 --display-name "Python 3" \
 && rm /tmp/sandbox-jupyter.txt

# uid 1000 matches the usual first user on a host, so files a page leaves in
# a bind mount stay editable there. Group docker: pages call docker without sudo.
RUN useradd --create-home --uid 1000 --shell /bin/bash --groups docker,sudo reader \
 && echo 'reader ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/reader \
 && chmod 0440 /etc/sudoers.d/reader

USER reader
ENV HOME=/home/reader
WORKDIR /home/reader
CMD ["bash"]
