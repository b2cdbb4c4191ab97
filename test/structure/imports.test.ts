import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { checkImports, importCycles, importGraph, layeringViolations } from '../../scripts/check-imports.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'xlatent-imports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const src = join(tmp, `src-${Math.random().toString(36).slice(2)}`);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, p)), { recursive: true });
    writeFileSync(join(src, p), text);
  }
  return src;
}

describe('import graph of src/', () => {
  it('has no import loop and no layering violation beyond the listed ones', () => {
    const r = checkImports();
    expect(r.modules).toBeGreaterThan(100);
    expect(r.cycles).toEqual([]);
    expect(r.newViolations).toEqual([]);
    expect(r.fixedButListed).toEqual([]);
  });

  it('finds a loop through a type-only import and a lower layer importing a higher one', () => {
    const src = tree({
      'data/formats/index.ts': "import { a } from './xdi.js';\nexport const b = a;\n",
      'data/formats/xdi.ts': "import type { R } from './index.js';\nexport const a = 1;\n",
      'data/grid.ts': "import type { GridSchema } from '../config/schema.js';\n",
      'config/schema.ts': "export const x = 1;\n",
      'pipeline/run.ts': "const p = () => import('../cli/progress.js');\n",
      'cli/progress.ts': '// import { nothing } from "../pipeline/run.js";\n',
    });
    const graph = importGraph(src);
    expect(importCycles(graph)).toEqual([['data/formats/index.ts', 'data/formats/xdi.ts']]);
    const edges = layeringViolations(graph).map((v: { edge: string }) => v.edge);
    expect(edges).toEqual(['data/grid.ts -> config/schema.ts', 'pipeline/run.ts -> cli/progress.ts']);
  });
});
