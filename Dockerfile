# The sandbox every handbook page runs in: a fresh Debian 12 machine as a
# reader would have it, plus a Docker engine for the pages about containers.
# Built by `python -m harness.images` (BuildKit, no registry: the base image is
# the local debian:bookworm-slim, which already trusts the CA bundle the
# harness configured, so pip below works behind a TLS-intercepting proxy).
FROM debian:bookworm-slim

# --no-install-recommends keeps compilers and friends out: pages may only
# rely on what /work/notes/conventions.md lists.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git make curl wget ca-certificates \
      python3 python3-venv python3-pip \
      docker.io docker-compose iptables \
      sudo procps file jq tree less openssh-client unzip xz-utils iproute2 time \
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
