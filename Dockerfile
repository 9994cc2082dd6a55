# Production image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 LUMEN_VAR_DIR=/var/lib/lumen LUMEN_MODEL_DIR=/models

RUN apt-get update \
    && apt-get install -y --no-install-recommends libglib2.0-0 libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
# CPU-only torch wheels keep the image small; the pins match requirements.txt.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt

COPY . .
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 SECRET_KEY=build \
    python manage.py collectstatic --noinput \
    && useradd --system --home /app lumen && mkdir -p /var/lib/lumen && chown lumen /var/lib/lumen
USER lumen
EXPOSE 8000
CMD ["gunicorn", "dam.wsgi", "-b", "0.0.0.0:8000", "-w", "3", "--timeout", "120"]
