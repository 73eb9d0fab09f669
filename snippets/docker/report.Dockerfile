FROM python:3.13-slim-trixie
COPY report.py /app/report.py
CMD ["python", "/app/report.py"]
