"""Check that PyTorch inside the container can see and use the GPU."""

import torch

print("torch", torch.__version__, "built for CUDA", torch.version.cuda)
print("CUDA available:", torch.cuda.is_available())

device = torch.device("cuda")
a = torch.randn(2048, 2048, device=device)
b = a @ a  # a matrix product, computed on the GPU
torch.cuda.synchronize()
print("result on", b.device, "-", torch.cuda.get_device_name(b.device))
print("result shape:", tuple(b.shape))
