# The peerspace server (not the desktop client). Build from the project folder:
#   docker build -t peerspace-server .
# and run it with Redis and PostgreSQL: deploy/compose.yaml; the guide is docs/deploy.md ("Containers").
# Checked by tools/lint_dockerfile.py (make lint, tests/test_deploy_container.py).
#
# Pinned to a Python minor and a Debian release; for byte-for-byte rebuilds pin the digest as well:
#   FROM python:3.11-slim-bookworm@sha256:<digest from `docker pull` or `docker buildx imagetools inspect`>
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# a system account without a login shell; its home is the data folder (database, secret)
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/peerspace --create-home \
        --shell /usr/sbin/nologin peerspace

# The server runs from its source folder: the shipped scenarios, safety files and palette are read beside it
# (server/config.py ROOT). Only what the server needs is copied; the client and its assets stay out.
WORKDIR /opt/peerspace
COPY pyproject.toml README.md requirements.txt ./
COPY wire ./wire
COPY server ./server
COPY scenarios ./scenarios
COPY tools/catalogs.py ./tools/catalogs.py
COPY assets/palette.json ./assets/palette.json
# the server's dependencies from the hashed lock (scale, metrics, postgresql, fast extras), then the project itself
RUN python -m venv /opt/peerspace/.venv \
    && /opt/peerspace/.venv/bin/pip install --no-cache-dir --require-hashes -r requirements.txt \
    && /opt/peerspace/.venv/bin/pip install --no-cache-dir --no-deps -e . \
    && /opt/peerspace/.venv/bin/python tools/catalogs.py compile

ENV PATH=/opt/peerspace/.venv/bin:$PATH \
    PEERSPACE_HOST=0.0.0.0 \
    PEERSPACE_PORT=8642 \
    PEERSPACE_DATA_DIR=/var/lib/peerspace

USER peerspace:peerspace
VOLUME ["/var/lib/peerspace"]
EXPOSE 8642

# /api/health: 200 when this node can serve and record, 503 when its store cannot write (docs/scaling.md)
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('PEERSPACE_PORT', '8642'), timeout=4)"]

# SIGTERM is a clean stop (the store is closed, the tick ends); compose and systemd send it
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "server"]
CMD ["serve"]
