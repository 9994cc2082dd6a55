# Production image for web, the worker pools and beat (see docker-compose.yml).
# The base is pinned by digest so a rebuild gets the same bytes. sha256:9c900dea… is the python:3.11-slim
# digest that two unrelated public projects pin (one through ECR Public's mirror of Docker Hub's library);
# it was not resolved against a registry from the development machines, which have none. CI's build fails
# if the digest does not exist; to move it: `docker buildx imagetools inspect python:3.11-slim`.
FROM python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 LUMEN_VAR_DIR=/var/lib/lumen LUMEN_MODEL_DIR=/models

# Runtime libraries only: GLib (OpenCV's libgthread) and OpenMP (onnxruntime, torch). Debian 13 renamed GLib's
# package libglib2.0-0t64 (64-bit time_t); take whichever this base has.
RUN apt-get update \
    && glib=$(apt-cache show libglib2.0-0t64 >/dev/null 2>&1 && echo libglib2.0-0t64 || echo libglib2.0-0) \
    && apt-get install -y --no-install-recommends "$glib" libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Runtime packages only (no test or bench ones), the whole tree pinned and hash-checked (see README,
# "Dependencies"). requirements.lock takes PyPI's torch, which brings ~4 GB of CUDA libraries unused on a CPU;
# REQUIREMENTS=requirements-cpu.lock (`make lock-cpu`, the same versions with the PyTorch CPU build, hashed)
# leaves them out: CI builds and scans that one.
ARG REQUIREMENTS=requirements.lock
COPY ${REQUIREMENTS} /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock

COPY . .
# Settings only read the environment; these values exist for the build step alone (manage.py would otherwise
# start an embedded Postgres and keep an encryption key in the image).
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 SECRET_KEY=build \
    LUMEN_ENCRYPT_AT_REST=false python manage.py collectstatic --noinput \
    && useradd --system --home /app lumen && mkdir -p /var/lib/lumen && chown lumen /var/lib/lumen
USER lumen
EXPOSE 8000
CMD ["gunicorn", "dam.wsgi", "-b", "0.0.0.0:8000", "-w", "3", "--timeout", "120"]
