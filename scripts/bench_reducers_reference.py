#!/usr/bin/env python3
"""Times one reference reducer (scikit-learn PCA / TSNE, umap-learn UMAP, openTSNE) for
scripts/bench-reducers.mjs, on the float32 .npy spectra it wrote.

    python3 bench_reducers_reference.py METHOD DATA.npy EMBEDDING.f32

Prints one JSON line {method, n, m, seconds, maxRssMiB, info} and writes the
n x 2 embedding as raw little-endian float32 (the caller scores it, so both
sides are scored by the same code). Each library runs with its defaults,
2 output dimensions. umap-learn and openTSNE first fit 300 spectra, untimed,
so that numba's JIT compilation / first-call set-up is not counted against them.
"""
import json
import resource
import sys
import time

import numpy as np


def main() -> None:
    method, data_path, out_path = sys.argv[1:4]
    X = np.load(data_path)
    n, m = X.shape
    info = {}
    # Modules load before the clock starts: fit time only.
    if method == 'pca':
        from sklearn.decomposition import PCA
    elif method == 'tsne':
        from sklearn.manifold import TSNE
    elif method == 'umap':
        import umap
        umap.UMAP(n_components=2).fit_transform(X[:300])  # JIT warm-up, untimed
        info['version'] = umap.__version__
    elif method == 'opentsne':
        import openTSNE
        openTSNE.TSNE(n_components=2, random_state=0).fit(X[:300])  # warm-up, untimed
        info['version'] = openTSNE.__version__
    t0 = time.perf_counter()
    if method == 'pca':
        p = PCA(n_components=2)
        Y = p.fit_transform(X)
        info['explainedVarianceRatio'] = p.explained_variance_ratio_.tolist()
    elif method == 'tsne':
        t = TSNE(n_components=2, init='pca', learning_rate='auto', random_state=0)
        Y = t.fit_transform(X)
        info['klDivergence'] = float(t.kl_divergence_)
        info['iterations'] = int(t.n_iter_)
    elif method == 'umap':
        u = umap.UMAP(n_components=2)
        Y = u.fit_transform(X)
    elif method == 'opentsne':
        # Its defaults: PCA init, FFT interpolation, 250 + 500 iterations.
        Y = np.asarray(openTSNE.TSNE(n_components=2, random_state=0).fit(X))
    else:
        raise SystemExit(f'unknown method {method!r} (expected pca, tsne, umap or opentsne)')
    seconds = time.perf_counter() - t0
    np.ascontiguousarray(Y, dtype='<f4').tofile(out_path)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'method': method, 'n': n, 'm': m, 'seconds': seconds, 'maxRssMiB': rss, 'info': info}))


if __name__ == '__main__':
    main()
