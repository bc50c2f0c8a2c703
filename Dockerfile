# digestbot: the long-running bot (`digestbot run`) in a slim Python 3.11 image.
# Build: docker build -t digestbot .    Compose: see docker-compose.yml and the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
# They are read from pyproject.toml (plus the postgres extra), so the list lives in one place.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the code (a change here reuses the layer above).
COPY README.md ./
COPY digests ./digests
COPY bot ./bot
COPY config ./config
COPY docker/entrypoint.sh /usr/local/bin/digestbot-entrypoint
RUN pip install --no-deps . \
 && chmod 0755 /usr/local/bin/digestbot-entrypoint

# A non-root user. Data (SQLite default + the archive) lives in the /data volume; /app/data
# points there, so the config's relative paths (data/digestbot.db, data/archive) land in it.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin digestbot \
 && mkdir -p /data \
 && chown digestbot:digestbot /data \
 && ln -s /data /app/data
USER digestbot
VOLUME ["/data"]

# Inside a container the HTTP server must listen on every interface; $PORT is the port.
ENV PORT=3000 \
    DIGESTBOT_HTTP_HOST=0.0.0.0 \
    DIGESTBOT_CONFIG=/app/config/digestbot.yaml
EXPOSE 3000

# /healthz answers 200 when the store answers; no curl in a slim image, so Python's urllib.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"

ENTRYPOINT ["digestbot-entrypoint"]
CMD ["digestbot", "run"]
