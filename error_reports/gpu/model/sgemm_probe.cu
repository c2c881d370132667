// cuBLAS Sgemm accuracy per transpose combination and math mode (diagnostic)
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>
static double rnd(unsigned long long &s) { s = s * 6364136223846793005ULL + 1442695040888963407ULL; return ((s >> 11) * 0x1p-53) * 2 - 1; }
int main() {
  const int M = 4096, N = 1024, K = 512;
  std::vector<float> A((size_t)M * K), B((size_t)K * N);
  unsigned long long s = 1;
  for (auto &x : A) x = (float)rnd(s);
  for (auto &x : B) x = (float)rnd(s);
  // reference C = A B (A M x K, B K x N), col-major, double
  std::vector<double> R((size_t)M * N, 0);
  for (int j = 0; j < N; j++) for (int k = 0; k < K; k++) { double b = B[(size_t)j * K + k]; for (int i = 0; i < M; i++) R[(size_t)j * M + i] += (double)A[(size_t)k * M + i] * b; }
  // transposed copies: At (K x M) so op(At)=T gives A; Bt (N x K)
  std::vector<float> At((size_t)K * M), Bt((size_t)N * K);
  for (int i = 0; i < M; i++) for (int k = 0; k < K; k++) At[(size_t)i * K + k] = A[(size_t)k * M + i];
  for (int k = 0; k < K; k++) for (int j = 0; j < N; j++) Bt[(size_t)k * N + j] = B[(size_t)j * K + k];
  float *dA, *dAt, *dB, *dBt, *dC;
  cudaMalloc(&dA, A.size() * 4); cudaMalloc(&dAt, At.size() * 4); cudaMalloc(&dB, B.size() * 4); cudaMalloc(&dBt, Bt.size() * 4); cudaMalloc(&dC, R.size() * 4);
  cudaMemcpy(dA, A.data(), A.size() * 4, cudaMemcpyHostToDevice); cudaMemcpy(dAt, At.data(), At.size() * 4, cudaMemcpyHostToDevice);
  cudaMemcpy(dB, B.data(), B.size() * 4, cudaMemcpyHostToDevice); cudaMemcpy(dBt, Bt.data(), Bt.size() * 4, cudaMemcpyHostToDevice);
  cublasHandle_t h; cublasCreate(&h);
  const char *mn[] = {"DEFAULT", "PEDANTIC"};
  cublasMath_t mm[] = {CUBLAS_DEFAULT_MATH, CUBLAS_PEDANTIC_MATH};
  std::vector<float> C(R.size());
  for (int mi = 0; mi < 2; mi++) {
    cublasSetMathMode(h, mm[mi]);
    for (int ta = 0; ta < 2; ta++) for (int tb = 0; tb < 2; tb++) {
      const float one = 1, zero = 0;
      cublasStatus_t st = cublasSgemm(h, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, M, N, K, &one, ta ? dAt : dA, ta ? K : M, tb ? dBt : dB, tb ? N : K, &zero, dC, M);
      cudaMemcpy(C.data(), dC, C.size() * 4, cudaMemcpyDeviceToHost);
      double e = 0, r = 0;
      for (size_t i = 0; i < C.size(); i++) { e += (C[i] - R[i]) * (C[i] - R[i]); r += R[i] * R[i]; }
      printf("sgemm %s op(A)=%c op(B)=%c M=%d N=%d K=%d: status %d normwise err %.3e\n", mn[mi], ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, (int)st, sqrt(e / r));
    }
  }
  return 0;
}
