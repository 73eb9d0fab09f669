FROM python:3.13-slim-trixie
# The torch wheel on PyPI bundles the CUDA libraries it needs (CUDA 13.0 for torch 2.14.1).
# The driver is NOT in the image: it comes from the host when the container is started with
# the GPU (`docker run --device nvidia.com/gpu=all` or `docker run --gpus all`).
RUN pip install --no-cache-dir torch==2.14.1
COPY gpu_check.py /app/gpu_check.py
CMD ["python", "/app/gpu_check.py"]
