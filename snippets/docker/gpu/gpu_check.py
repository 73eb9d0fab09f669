"""Check that this container can run code on the GPU, with nothing but Python's standard library.

The program talks to the NVIDIA driver directly, through its C library libcuda.so.1 (the CUDA
"driver API"), with ctypes. The container does not bring that library: the host's driver
provides it when the container is started with the GPU (`docker run --gpus all ...` or
`docker run --device nvidia.com/gpu=all ...`), so any image with Python 3 will do.

It needs a driver for CUDA 12.0 or newer (`nvidia-smi` shows the host's "CUDA Version") and an
NVIDIA GPU from Maxwell (2014) on.

Steps: start the driver, name GPU 0, create a context on it, load a small matrix-product
kernel (matmul.cu, carried below as PTX, which the driver compiles for this GPU), multiply two
256x256 float32 matrices on the GPU, copy the result back and compare it with the same product
computed by Python on the CPU.

The matrices hold small whole numbers, so every sum is exact in float32 and the GPU's result
must equal the CPU's exactly: the error printed is 0.0 on a working GPU.

Exit status: 0 when the product is right, 1 on a CUDA error (a driver too old included) or a
wrong result, 2 when there is no CUDA driver in the container.
"""

import ctypes
import operator
import sys
from array import array

N = 256  # the matrices are N x N
BLOCK = 16  # the GPU runs the kernel in blocks of BLOCK x BLOCK threads, one thread per element

# the driver is older than the PTX ISA version of the kernel
CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222


class CudaError(Exception):
    pass


def load_driver():
    """The driver library, or None when the container has none."""
    try:
        return ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None


def make_check(cuda):
    """Return check(name, *args): call the driver function `name`, raise CudaError unless it
    succeeds.

    Every driver API function returns a status code, 0 (CUDA_SUCCESS) when it worked.
    """

    def check(name, *args):
        status = getattr(cuda, name)(*args)
        if status != 0:
            text = ctypes.c_char_p()
            cuda.cuGetErrorString(status, ctypes.byref(text))
            reason = text.value.decode() if text.value else "unknown error"
            hint = ""
            if status == CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
                hint = " (this program needs a driver for CUDA 12.0 or newer)"
            raise CudaError(f"{name} failed: CUDA error {status}: {reason}{hint}")

    return check


def test_matrices(n):
    """Two n x n matrices, row by row, of small whole numbers from -4 to 4."""
    a = array("f", ((3 * i + 7 * j) % 9 - 4 for i in range(n) for j in range(n)))
    b = array("f", ((5 * i + 2 * j) % 9 - 4 for i in range(n) for j in range(n)))
    return a, b


def matmul_cpu(a, b, n):
    """The product a x b in plain Python."""
    rows = [a[i * n : (i + 1) * n] for i in range(n)]
    cols = [b[j::n] for j in range(n)]
    return [sum(map(operator.mul, row, col)) for row in rows for col in cols]


def matmul_gpu(cuda, check, a, b, n):
    """The product a x b, computed by the matmul kernel on the current context's GPU."""
    size = n * n * a.itemsize  # bytes per matrix
    module = ctypes.c_void_p()
    kernel = ctypes.c_void_p()
    check("cuModuleLoadData", ctypes.byref(module), ctypes.c_char_p(PTX.encode()))
    try:
        check("cuModuleGetFunction", ctypes.byref(kernel), module, b"matmul")
        # Device memory for a, b and the result c; a CUdeviceptr is a 64-bit address on the GPU.
        d_a, d_b, d_c = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        for ptr in (d_a, d_b, d_c):
            check("cuMemAlloc_v2", ctypes.byref(ptr), ctypes.c_size_t(size))
        try:
            host_a, _ = a.buffer_info()
            host_b, _ = b.buffer_info()
            check("cuMemcpyHtoD_v2", d_a, ctypes.c_void_p(host_a), ctypes.c_size_t(size))
            check("cuMemcpyHtoD_v2", d_b, ctypes.c_void_p(host_b), ctypes.c_size_t(size))
            # The kernel's arguments, passed as an array of pointers to each value.
            n_arg = ctypes.c_int(n)
            args = (ctypes.c_void_p * 4)(*(ctypes.addressof(x) for x in (d_a, d_b, d_c, n_arg)))
            grid = (n + BLOCK - 1) // BLOCK
            blocks = (ctypes.c_uint(grid), ctypes.c_uint(grid), ctypes.c_uint(1))  # in the grid
            threads = (ctypes.c_uint(BLOCK), ctypes.c_uint(BLOCK), ctypes.c_uint(1))  # in a block
            # then: no shared memory, the default stream, no extra options
            check("cuLaunchKernel", kernel, *blocks, *threads, ctypes.c_uint(0), None, args, None)
            check("cuCtxSynchronize")  # wait for the kernel to finish
            c = array("f", bytes(size))
            host_c, _ = c.buffer_info()
            check("cuMemcpyDtoH_v2", ctypes.c_void_p(host_c), d_c, ctypes.c_size_t(size))
            return c
        finally:
            for ptr in (d_a, d_b, d_c):
                if ptr.value:
                    cuda.cuMemFree_v2(ptr)
    finally:
        cuda.cuModuleUnload(module)


def run(cuda):
    check = make_check(cuda)
    check("cuInit", ctypes.c_uint(0))
    version = ctypes.c_int()
    check("cuDriverGetVersion", ctypes.byref(version))  # 13000 means CUDA 13.0
    device = ctypes.c_int()
    check("cuDeviceGet", ctypes.byref(device), ctypes.c_int(0))
    name = ctypes.create_string_buffer(256)
    check("cuDeviceGetName", name, ctypes.c_int(len(name)), device)
    print("device:", name.value.decode())
    print(f"driver CUDA version: {version.value // 1000}.{version.value % 1000 // 10}")

    # A context holds a program's state on one GPU (its memory, its loaded kernels).
    # The _v2 names are the driver's current versions of these calls.
    context = ctypes.c_void_p()
    check("cuCtxCreate_v2", ctypes.byref(context), ctypes.c_uint(0), device)
    try:
        a, b = test_matrices(N)
        gpu = matmul_gpu(cuda, check, a, b, N)
    finally:
        cuda.cuCtxDestroy_v2(context)
    cpu = matmul_cpu(a, b, N)
    error = max(abs(g - c) for g, c in zip(gpu, cpu))
    ok = error == 0.0
    print(f"matrix product {N}x{N} on the GPU: max abs error {error} ({'ok' if ok else 'WRONG'})")
    return ok


def main():
    cuda = load_driver()
    if cuda is None:
        print("no CUDA driver (libcuda.so.1) in this container", file=sys.stderr)
        return 2
    try:
        ok = run(cuda)
    except CudaError as e:
        print(e, file=sys.stderr)
        return 1
    if not ok:
        print("the GPU's matrix product differs from the CPU's", file=sys.stderr)
        return 1
    return 0


# The kernel from matmul.cu as PTX, NVIDIA's portable GPU assembly, made with CUDA 13.0 by
#   nvcc -ptx -arch=compute_75 -o matmul.ptx matmul.cu
# and then declared `.version 8.0` (the PTX ISA of CUDA 12.0, so drivers for CUDA 12.0 and newer
# load it) and `.target sm_50` (any GPU from Maxwell on; the driver compiles it for the GPU it
# finds). The kernel uses nothing newer, which ptxas checks: tools/gpu-check/embed_ptx.py.
PTX = r"""
//
// Generated by NVIDIA NVVM Compiler
//
// Compiler Build ID: CL-36424714
// Cuda compilation tools, release 13.0, V13.0.88
// Based on NVVM 7.0.1
//

.version 8.0
.target sm_50
.address_size 64

	// .globl	matmul

.visible .entry matmul(
	.param .u64 matmul_param_0,
	.param .u64 matmul_param_1,
	.param .u64 matmul_param_2,
	.param .u32 matmul_param_3
)
{
	.reg .pred 	%p<9>;
	.reg .f32 	%f<30>;
	.reg .b32 	%r<30>;
	.reg .b64 	%rd<34>;


	ld.param.u64 	%rd18, [matmul_param_0];
	ld.param.u64 	%rd19, [matmul_param_1];
	ld.param.u64 	%rd17, [matmul_param_2];
	ld.param.u32 	%r13, [matmul_param_3];
	cvta.to.global.u64 	%rd1, %rd19;
	cvta.to.global.u64 	%rd2, %rd18;
	mov.u32 	%r14, %ntid.y;
	mov.u32 	%r15, %ctaid.y;
	mov.u32 	%r16, %tid.y;
	mad.lo.s32 	%r1, %r15, %r14, %r16;
	mov.u32 	%r17, %ntid.x;
	mov.u32 	%r18, %ctaid.x;
	mov.u32 	%r19, %tid.x;
	mad.lo.s32 	%r2, %r18, %r17, %r19;
	setp.ge.s32 	%p1, %r1, %r13;
	setp.ge.s32 	%p2, %r2, %r13;
	or.pred  	%p3, %p1, %p2;
	@%p3 bra 	$L__BB0_9;

	setp.lt.s32 	%p4, %r13, 1;
	mul.lo.s32 	%r3, %r1, %r13;
	mov.f32 	%f29, 0f00000000;
	@%p4 bra 	$L__BB0_8;

	add.s32 	%r21, %r13, -1;
	and.b32  	%r29, %r13, 3;
	setp.lt.u32 	%p5, %r21, 3;
	mov.f32 	%f29, 0f00000000;
	mov.u32 	%r28, 0;
	@%p5 bra 	$L__BB0_5;

	sub.s32 	%r27, %r13, %r29;
	mul.wide.s32 	%rd3, %r3, 4;
	mul.wide.s32 	%rd20, %r2, 4;
	add.s64 	%rd30, %rd1, %rd20;
	mul.wide.s32 	%rd5, %r13, 4;
	mov.f32 	%f29, 0f00000000;
	mov.u32 	%r28, 0;
	mov.u64 	%rd31, %rd2;

$L__BB0_4:
	add.s64 	%rd21, %rd31, %rd3;
	ld.global.f32 	%f12, [%rd30];
	ld.global.f32 	%f13, [%rd21];
	fma.rn.f32 	%f14, %f13, %f12, %f29;
	add.s64 	%rd22, %rd30, %rd5;
	ld.global.f32 	%f15, [%rd22];
	ld.global.f32 	%f16, [%rd21+4];
	fma.rn.f32 	%f17, %f16, %f15, %f14;
	add.s64 	%rd23, %rd22, %rd5;
	ld.global.f32 	%f18, [%rd23];
	ld.global.f32 	%f19, [%rd21+8];
	fma.rn.f32 	%f20, %f19, %f18, %f17;
	add.s64 	%rd24, %rd23, %rd5;
	add.s64 	%rd30, %rd24, %rd5;
	ld.global.f32 	%f21, [%rd24];
	ld.global.f32 	%f22, [%rd21+12];
	fma.rn.f32 	%f29, %f22, %f21, %f20;
	add.s32 	%r28, %r28, 4;
	add.s64 	%rd31, %rd31, 16;
	add.s32 	%r27, %r27, -4;
	setp.ne.s32 	%p6, %r27, 0;
	@%p6 bra 	$L__BB0_4;

$L__BB0_5:
	setp.eq.s32 	%p7, %r29, 0;
	@%p7 bra 	$L__BB0_8;

	mad.lo.s32 	%r23, %r28, %r13, %r2;
	mul.wide.s32 	%rd25, %r23, 4;
	add.s64 	%rd33, %rd1, %rd25;
	mul.wide.s32 	%rd11, %r13, 4;
	add.s32 	%r24, %r28, %r3;
	mul.wide.s32 	%rd26, %r24, 4;
	add.s64 	%rd32, %rd2, %rd26;

$L__BB0_7:
	.pragma "nounroll";
	ld.global.f32 	%f23, [%rd33];
	ld.global.f32 	%f24, [%rd32];
	fma.rn.f32 	%f29, %f24, %f23, %f29;
	add.s64 	%rd33, %rd33, %rd11;
	add.s64 	%rd32, %rd32, 4;
	add.s32 	%r29, %r29, -1;
	setp.ne.s32 	%p8, %r29, 0;
	@%p8 bra 	$L__BB0_7;

$L__BB0_8:
	add.s32 	%r25, %r3, %r2;
	cvta.to.global.u64 	%rd27, %rd17;
	mul.wide.s32 	%rd28, %r25, 4;
	add.s64 	%rd29, %rd27, %rd28;
	st.global.f32 	[%rd29], %f29;

$L__BB0_9:
	ret;

}
"""

if __name__ == "__main__":
    sys.exit(main())
