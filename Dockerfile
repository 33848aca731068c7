# Production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Exactly the versions of uv.lock, without the dev tools (`--frozen` fails rather than re-resolve).
ENV UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH UV_COMPILE_BYTECODE=1
COPY pyproject.toml uv.lock README.md ./
RUN pip install --no-cache-dir uv==0.13.9 && uv sync --frozen --no-dev --no-install-project
COPY . .
# Compiled now: with PYTHONDONTWRITEBYTECODE each process would compile the project at every start.
RUN python -m compileall -q -j 0 /app >/dev/null
RUN VH_ENVIRONMENT=development python manage.py collectstatic --no-input -v0
RUN useradd --create-home vh && mkdir -p /app/media && chown vh /app/media
USER vh
EXPOSE 8000
CMD ["gunicorn", "ville_hopital.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
