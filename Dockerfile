FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt /app/requirements.txt
RUN pip install --no-compile -r /app/requirements.txt
COPY entrypoint.py /app/entrypoint.py
COPY publisher /app/publisher
COPY schema /app/schema

ENTRYPOINT ["python", "/app/entrypoint.py"]
