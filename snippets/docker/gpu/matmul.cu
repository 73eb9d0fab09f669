// A matrix product C = A x B for square n x n matrices of float32, stored row by row.
// Each GPU thread computes one element of C: the dot product of a row of A and a column of B.
// gpu_check.py carries this kernel as PTX, made with  nvcc -ptx -arch=compute_75 -o matmul.ptx matmul.cu
// and declared .version 8.0 and .target sm_50 by tools/gpu-check/embed_ptx.py (CUDA 12.0 drivers, Maxwell GPUs on).
// extern "C" keeps the name `matmul` as it is, so the program can look the kernel up by that name.
extern "C" __global__ void matmul(const float *a, const float *b, float *c, int n)
{
    int row = blockIdx.y * blockDim.y + threadIdx.y;
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (row < n && col < n) {
        float sum = 0.0f;
        for (int k = 0; k < n; ++k)
            sum += a[row * n + k] * b[k * n + col];
        c[row * n + col] = sum;
    }
}
