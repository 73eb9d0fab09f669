FROM python:3.11-slim-bookworm
COPY report.py /app/report.py
CMD ["python", "/app/report.py"]
