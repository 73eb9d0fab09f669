/* A fake libcuda.so.1 for testing gpu_check.py on a machine without a GPU.
 *
 * It has the real signatures of the few driver API calls gpu_check.py makes and does the work
 * on the CPU: "device memory" is malloc'd, and cuLaunchKernel runs the matmul kernel's loop over
 * the grid it is given. It checks what a real driver would reject (no current context, a PTX
 * image without the kernel, a wrong kernel name) so that mistakes in the ctypes calls show here.
 * Like a real driver, it refuses PTX whose ISA version is newer than its CUDA version knows, and
 * PTX whose .target is newer than its GPU, so the PTX that gpu_check.py carries is tested against
 * the oldest driver and GPU it promises to work with.
 *
 *   FAKE_CUDA_VERSION=12000         the driver's CUDA version, 1000 * major + 10 * minor (default 12000)
 *   FAKE_CUDA_SM=52                 the GPU's compute capability, 10 * major + minor (default 50)
 *   FAKE_CUDA_FAIL=cuName[:status]  make that call fail (default status 999, CUDA_ERROR_UNKNOWN)
 *   FAKE_CUDA_WRONG=1               spoil one element of the product
 *
 * Build: gcc -shared -fPIC -o libcuda.so.1 fake_libcuda.c   (tools/gpu-check/test-gpu-check.sh does)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
static void *current;  /* the current context, as the driver keeps it per thread */

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

/* The newest PTX ISA version (10 * major + minor) that a driver for this CUDA version loads.
 * A driver loads the PTX of its own CUDA release and of every older one; the table is NVIDIA's
 * pairing of PTX ISA and CUDA releases. Drivers older than CUDA 11.8 load no PTX in this fake. */
static int newest_ptx_isa(int cuda)
{
    static const int table[][2] = {
        {11080, 78}, {12000, 80}, {12010, 81}, {12020, 82}, {12030, 83}, {12040, 84},
        {12050, 85}, {12060, 85}, {12080, 87}, {12090, 88}, {13000, 90},
    };
    int isa = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (cuda >= table[i][0]) isa = table[i][1];
    return isa;
}

static CUresult fail(const char *name)
{
    const char *f = getenv("FAKE_CUDA_FAIL");
    size_t len = strlen(name);
    if (!f || strncmp(f, name, len) != 0 || (f[len] != '\0' && f[len] != ':'))
        return 0;
    return f[len] == ':' ? atoi(f + len + 1) : 999;
}
#define FAIL_IF_ASKED(name) do { CUresult s_ = fail(name); if (s_) return s_; } while (0)
#define NEED_CONTEXT() do { if (!current) return 201; } while (0) /* CUDA_ERROR_INVALID_CONTEXT */

CUresult cuGetErrorString(CUresult status, const char **text)
{
    switch (status) {
    case 0: *text = "no error"; return 0;
    case 100: *text = "no CUDA-capable device is detected"; return 0;
    case 201: *text = "invalid device context"; return 0;
    case 209: *text = "no kernel image is available for execution on the device"; return 0;
    case 218: *text = "a PTX JIT compilation failed"; return 0;
    case 222: *text = "the provided PTX was compiled with an unsupported toolchain."; return 0;
    case 500: *text = "named symbol not found"; return 0;
    case 999: *text = "unknown error"; return 0;
    default: *text = NULL; return 1; /* CUDA_ERROR_INVALID_VALUE */
    }
}

CUresult cuInit(unsigned flags) { FAIL_IF_ASKED("cuInit"); return flags ? 1 : 0; }
CUresult cuDriverGetVersion(int *v) { FAIL_IF_ASKED("cuDriverGetVersion"); *v = env_int("FAKE_CUDA_VERSION", 12000); return 0; }
CUresult cuDeviceGet(int *dev, int ordinal) { FAIL_IF_ASKED("cuDeviceGet"); *dev = ordinal; return ordinal ? 101 : 0; }

CUresult cuDeviceGetName(char *name, int len, int dev)
{
    FAIL_IF_ASKED("cuDeviceGetName");
    if (dev != 0 || len < 1) return 1;
    strncpy(name, "Fake GPU (a CPU stand-in)", (size_t)len - 1);
    name[len - 1] = '\0';
    return 0;
}

CUresult cuCtxCreate_v2(void **ctx, unsigned flags, int dev)
{
    FAIL_IF_ASKED("cuCtxCreate_v2");
    if (dev != 0 || flags != 0) return 1;
    *ctx = current = malloc(1);
    return 0;
}

CUresult cuCtxDestroy_v2(void *ctx)
{
    if (!ctx) return 1;
    if (ctx == current) current = NULL;
    free(ctx);
    return 0;
}

CUresult cuCtxSynchronize(void) { NEED_CONTEXT(); FAIL_IF_ASKED("cuCtxSynchronize"); return 0; }

CUresult cuModuleLoadData(void **module, const void *image)
{
    NEED_CONTEXT();
    FAIL_IF_ASKED("cuModuleLoadData");
    const char *version = strstr(image, "\n.version "), *target = strstr(image, "\n.target sm_");
    int major, minor, sm;
    if (!version || sscanf(version, "\n.version %d.%d", &major, &minor) != 2 ||
        !target || sscanf(target, "\n.target sm_%d", &sm) != 1 || !strstr(image, ".entry matmul("))
        return 218; /* CUDA_ERROR_INVALID_PTX */
    if (10 * major + minor > newest_ptx_isa(env_int("FAKE_CUDA_VERSION", 12000)))
        return 222; /* CUDA_ERROR_UNSUPPORTED_PTX_VERSION */
    if (sm > env_int("FAKE_CUDA_SM", 50))
        return 209; /* CUDA_ERROR_NO_BINARY_FOR_GPU */
    *module = malloc(1);
    return 0;
}

CUresult cuModuleGetFunction(void **func, void *module, const char *name)
{
    NEED_CONTEXT();
    FAIL_IF_ASKED("cuModuleGetFunction");
    if (!module || strcmp(name, "matmul") != 0) return 500;
    *func = (void *)0x4d4d; /* any handle */
    return 0;
}

CUresult cuModuleUnload(void *module) { free(module); return 0; }

CUresult cuMemAlloc_v2(uint64_t *ptr, size_t size)
{
    NEED_CONTEXT();
    FAIL_IF_ASKED("cuMemAlloc_v2");
    if (size == 0 || size > ((size_t)1 << 32)) return 1;
    *ptr = (uint64_t)(uintptr_t)malloc(size);
    return *ptr ? 0 : 2; /* CUDA_ERROR_OUT_OF_MEMORY */
}

CUresult cuMemFree_v2(uint64_t ptr) { NEED_CONTEXT(); free((void *)(uintptr_t)ptr); return 0; }

CUresult cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t size)
{
    NEED_CONTEXT();
    FAIL_IF_ASKED("cuMemcpyHtoD_v2");
    memcpy((void *)(uintptr_t)dst, src, size);
    return 0;
}

CUresult cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t size)
{
    NEED_CONTEXT();
    FAIL_IF_ASKED("cuMemcpyDtoH_v2");
    memcpy(dst, (const void *)(uintptr_t)src, size);
    return 0;
}

/* The matmul kernel of matmul.cu, one "thread" after the other. */
CUresult cuLaunchKernel(void *func, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, void *stream, void **params, void **extra)
{
    NEED_CONTEXT();
    FAIL_IF_ASKED("cuLaunchKernel");
    if (!func || !params || extra || shared || stream || gz != 1 || bz != 1 || bx * by > 1024) return 1;
    const float *a = *(float **)params[0], *b = *(float **)params[1];
    float *c = *(float **)params[2];
    int n = *(int *)params[3];
    for (unsigned row = 0; row < gy * by; row++)
        for (unsigned col = 0; col < gx * bx; col++)
            if ((int)row < n && (int)col < n) {
                float sum = 0.0f;
                for (int k = 0; k < n; ++k)
                    sum += a[row * n + k] * b[k * n + col];
                c[row * n + col] = sum;
            }
    if (getenv("FAKE_CUDA_WRONG")) c[n + 1] += 0.5f;
    return 0;
}
