import { createHash } from 'node:crypto';
import { canonicalJson, type ModelMetadata } from './metadata.js';

/** SHA-256 checksums of model directories (Node only: the browser entry skips them). */

/** Hex SHA-256 of bytes or UTF-8 text. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash stored in `metadataSha256`: over every other field. */
export function metadataDigest(meta: Omit<ModelMetadata, 'metadataSha256'> & { metadataSha256?: string }): string {
  const { metadataSha256: _omit, ...rest } = meta;
  return sha256Hex(canonicalJson(rest));
}
