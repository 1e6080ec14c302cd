# Production image: gunicorn for web; the same image runs the Celery worker and beat.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 10001 app
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install . && rm -rf /root/.cache
COPY . .
RUN DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build-only-secret-key-not-used-at-runtime-000000 \
    python manage.py collectstatic --noinput -v 0
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-b", "0.0.0.0:8000", "-w", "4", "--access-logfile", "-"]
