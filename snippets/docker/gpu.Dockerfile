FROM python:3.13-slim-trixie
# The torch wheel on PyPI bundles the CUDA runtime libraries it needs.
# The driver is NOT in the image: it comes from the host at `docker run --gpus`.
RUN pip install --no-cache-dir torch==2.5.1
COPY gpu_check.py /app/gpu_check.py
CMD ["python", "/app/gpu_check.py"]
