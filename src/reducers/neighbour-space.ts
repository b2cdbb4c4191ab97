import { allKnn } from './knn.js';
import { Pca, type PcaParams } from './pca.js';
import { decodeF32, encodeArray, type ReducerJSON } from './reducer.js';
import { VpTree } from './vptree.js';

/**
 * The space t-SNE and UMAP search neighbours in: the first `pcaDims`
 * principal components of the training spectra (raw spectra when the data
 * are too small for that), with exact kNN for fitting and a vantage-point
 * tree for placing new spectra by their nearest training neighbours.
 */
export class NeighbourSpace {
  private tree: VpTree | null = null;

  private constructor(
    /** The projection, or null when the raw spectra are the space. */
    readonly pca: Pca | null,
    /** n x dims training points in the space. */
    readonly points: Float32Array,
    readonly n: number,
    readonly dims: number,
  ) {}

  /** @param pcaDims principal components to keep; 0 keeps the raw spectra */
  static fit(X: Float32Array, n: number, m: number, pcaDims: number): NeighbourSpace {
    if (pcaDims > 0 && m > pcaDims && n > pcaDims) {
      const pca = new Pca({ nComponents: pcaDims });
      return new NeighbourSpace(pca, pca.fitTransform(X, n, m), n, pcaDims);
    }
    return new NeighbourSpace(null, X.slice(), n, m);
  }

  /** Exact k nearest neighbours of every training point (itself excluded). */
  knn(k: number): { indices: Int32Array; distances: Float64Array } {
    return allKnn(this.points, this.n, this.dims, k);
  }

  /**
   * Places new spectra in a fitted embedding: each at the weighted mean of the
   * embeddings of its k nearest training spectra, `weights` turning the
   * neighbour distances into weights that sum to 1.
   */
  place(
    X: Float32Array,
    nNew: number,
    k: number,
    embedding: Float32Array,
    d: number,
    weights: (distances: Float64Array) => ArrayLike<number>,
  ): Float32Array {
    const Xr = this.pca ? this.pca.transform(X, nNew) : X;
    this.tree ??= new VpTree(this.points, this.n, this.dims);
    const out = new Float32Array(nNew * d);
    for (let i = 0; i < nNew; i++) {
      const r = this.tree.search(Xr, k, -1, i * this.dims);
      const w = weights(r.distances);
      for (let a = 0; a < r.indices.length; a++) {
        const j = r.indices[a];
        for (let t = 0; t < d; t++) out[i * d + t] += w[a] * embedding[j * d + t];
      }
    }
    return out;
  }

  toJSON(): Record<string, unknown> {
    return { pca: this.pca ? this.pca.toJSON() : null, Xr: encodeArray(this.points), p: this.dims };
  }

  static fromJSON(s: Record<string, unknown>): NeighbourSpace {
    const pj = s.pca as ReducerJSON | null;
    const pca = pj ? new Pca(pj.params as Partial<PcaParams>).restore(pj) : null;
    const points = decodeF32(s.Xr, 'state.Xr');
    const dims = Number(s.p);
    return new NeighbourSpace(pca, points, points.length / dims, dims);
  }
}
