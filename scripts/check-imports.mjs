#!/usr/bin/env node
// Checks the import graph of src/: no import loops, and the layering rules of
// the project brief (lower layers never import higher ones). Every relative
// import counts, `import type` and dynamic `import()` included: a type-only
// loop still ties two modules together, and a lazy import is still a
// dependency. Usage: node scripts/check-imports.mjs [--json]; exit 1 on a
// violation not listed in KNOWN_VIOLATIONS (or on a listed one that is gone).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * [from-folder, to-folder, why]: a module under `from` must not import one
 * under `to`. Folders are relative to src/ ('' is a file directly in src/).
 */
export const RULES = [
  ['pipeline', 'cli', 'the CLI is the top layer'],
  ['export', 'cli', 'the CLI is the top layer'],
  ['analysis', 'cli', 'the CLI is the top layer'],
  ['report', 'cli', 'the CLI is the top layer'],
  ['data', 'cli', 'the CLI is the top layer'],
  ['model', 'cli', 'the CLI is the top layer'],
  ['train', 'cli', 'the CLI is the top layer'],
  ['metrics', 'cli', 'the CLI is the top layer'],
  ['reducers', 'cli', 'the CLI is the top layer'],
  ['config', 'cli', 'the CLI is the top layer'],
  ['search', 'cli', 'the CLI is the top layer'],
  // A search runs trials through the pipeline; nothing below it knows about searches.
  ...['pipeline', 'export', 'analysis', 'report', 'data', 'model', 'train', 'metrics', 'reducers', 'config', 'util', 'backends'].map((f) => [f, 'search', 'searches sit above the pipeline']),
  ['util', 'cli', 'the CLI is the top layer'],
  ['browser', 'cli', 'the CLI is the top layer'],
  ['model', 'backends', 'models describe networks; backends are chosen by the caller'],
  ['train', 'backends', 'the trainer runs on whatever backend is selected'],
  ['data', 'config', 'the data layer knows nothing about run configs'],
  ['data', 'pipeline', 'data flows one way'],
  ['data', 'train', 'data flows one way'],
  ['data', 'export', 'data flows one way'],
  ['data', 'analysis', 'data flows one way'],
  ['data', 'report', 'data flows one way'],
  ['util', 'data', 'util is the bottom layer'],
  ['util', 'export', 'util is the bottom layer'],
  ['metrics', 'export', 'metrics score arrays; they do not read models'],
  ['metrics', 'report', 'metrics score arrays'],
  ['reducers', 'export', 'reducers take arrays'],
  ['reducers', 'pipeline', 'reducers take arrays'],
  ['train', 'pipeline', 'the trainer takes arrays'],
  ['train', 'export', 'the trainer takes arrays'],
  ['model', 'train', 'networks do not know how they are trained'],
  ['ops', 'backends', 'ops name kernels; backends implement them and register themselves'],
  ['ops', 'model', 'the fused ops are below the networks that use them'],
  ['ops', 'train', 'the fused ops are below the trainer that uses them'],
  // The library faces (src/index.ts, src/browser.ts) sit above everything; no module imports them.
  ...['analysis', 'backends', 'cli', 'config', 'data', 'export', 'metrics', 'model', 'ops', 'pipeline', 'reducers', 'report', 'search', 'train', 'util'].map((f) => [
    f,
    '',
    'src/index.ts and src/browser.ts are the public faces; modules import each other directly',
  ]),
];

/**
 * Violations that exist in code other helpers own, listed so that the check
 * can guard everything else now; each entry must disappear when its owner
 * fixes it (a listed violation that no longer occurs fails the check too).
 */
export const KNOWN_VIOLATIONS = [];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// Static imports/exports (type-only too) and dynamic import() with a literal path.
const IMPORT_RE = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Relative imports of every module under src/: Map<module, Set<module>> (paths relative to src/, forward slashes). */
export function importGraph(srcDir = join(root, 'src')) {
  const graph = new Map();
  const rel = (p) => relative(srcDir, p).split(sep).join('/');
  for (const file of walk(srcDir)) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const deps = new Set();
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      deps.add(rel(target));
    }
    graph.set(rel(file), deps);
  }
  return graph;
}

const folderOf = (mod) => (mod.includes('/') ? mod.slice(0, mod.indexOf('/')) : '');

/** Import loops: strongly connected components with more than one module (or a module importing itself). */
export function importCycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const cycles = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || graph.get(v)?.has(v)) cycles.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return cycles;
}

/** Every import that breaks a rule, as "from -> to" strings with the rule's reason. */
export function layeringViolations(graph, rules = RULES) {
  const out = [];
  for (const [from, deps] of graph) {
    for (const to of deps) {
      for (const [a, b, why] of rules) {
        if (folderOf(from) === a && folderOf(to) === b) out.push({ edge: `${from} -> ${to}`, why });
      }
    }
  }
  return out.sort((x, y) => x.edge.localeCompare(y.edge));
}

/** The whole check: cycles, new violations, and listed violations that no longer occur. */
export function checkImports(srcDir) {
  const graph = importGraph(srcDir);
  const cycles = importCycles(graph);
  const violations = layeringViolations(graph);
  const seen = new Set(violations.map((v) => v.edge));
  return {
    modules: graph.size,
    cycles,
    newViolations: violations.filter((v) => !KNOWN_VIOLATIONS.includes(v.edge)),
    fixedButListed: KNOWN_VIOLATIONS.filter((e) => !seen.has(e)),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = checkImports();
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else {
    for (const c of r.cycles) process.stdout.write(`import loop: ${c.join(' <-> ')}\n`);
    for (const v of r.newViolations) process.stdout.write(`layering: ${v.edge} (${v.why})\n`);
    for (const e of r.fixedButListed) process.stdout.write(`no longer a violation, remove from KNOWN_VIOLATIONS: ${e}\n`);
    process.stdout.write(`${r.modules} modules checked\n`);
  }
  process.exit(r.cycles.length + r.newViolations.length + r.fixedButListed.length > 0 ? 1 : 0);
}
