import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ONNX_PROTO_TEXT } from '../../src/export/onnx-proto-text.js';
import { modelProtoType } from '../../src/export/onnx.js';

describe('embedded onnx.proto', () => {
  it('is byte-identical to src/export/onnx.proto (regenerate onnx-proto-text.ts if this fails)', () => {
    const file = readFileSync(new URL('../../src/export/onnx.proto', import.meta.url), 'utf8');
    expect(ONNX_PROTO_TEXT).toBe(file);
    expect(file).toContain('SPDX-License-Identifier: Apache-2.0');
  });

  it('parses into the ONNX ModelProto type with the IR-8-era fields', () => {
    const t = modelProtoType();
    expect(t.fields.ir_version.id).toBe(1);
    expect(t.fields.metadata_props.id).toBe(14);
    expect(t.fields.functions.id).toBe(25);
  });
});
