/** Without the native addon (disabled here, as on a machine where it could not be built), auto falls back to wasm. */
import { describe, expect, it } from 'vitest';

import { UserError } from '../../src/util/errors.js';

describe('selectBackend without the native addon', () => {
  it('auto falls back to wasm and explains why native was skipped; explicit native is a UserError', async () => {
    process.env.XLATENT_NATIVE = '0';
    const { selectBackend } = await import('../../src/backends/select.js');
    const sel = await selectBackend('auto');
    expect(sel.name).toBe('wasm');
    expect(sel.tried.find((t) => t.name === 'native')?.error).toMatch(/XLATENT_NATIVE=0/);
    expect(sel.reason).toMatch(/native: disabled by XLATENT_NATIVE=0/);
    const err = await selectBackend('native').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/backend 'native' is not available: disabled/);
  });
});
