FROM python:3.11-slim

# Unbuffered so log lines reach the runner as they happen. Bytecode is compiled
# once here, at build time, so no run pays for compiling on start.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app
COPY requirements.txt /app/requirements.txt
# requirements.txt pins every package, transitive ones too: --no-deps keeps it exact.
RUN pip install --no-deps -r /app/requirements.txt
COPY entrypoint.py /app/entrypoint.py
COPY publisher /app/publisher
COPY schema /app/schema
RUN python -m compileall -q /app

ENTRYPOINT ["python", "/app/entrypoint.py"]
