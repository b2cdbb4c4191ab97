{
  "variables": {
    "xl_blas%": "<!(node detect-blas.cjs)"
  },
  "targets": [
    {
      "target_name": "xlatent_native",
      "sources": ["src/addon.c", "src/kernels.c", "src/fused.c", "src/mlp.c", "src/embed.c"],
      "cflags": ["-O3", "-std=gnu11", "-fno-trapping-math", "-ffp-contract=off", "-fopenmp", "-Wall", "-Wno-unused-parameter"],
      "ldflags": ["-fopenmp"],
      "conditions": [
        ["xl_blas=='openblas'", {
          "defines": ["XL_OPENBLAS"],
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}
