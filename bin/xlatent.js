#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('xlatent: the TypeScript sources are not built yet; run `npm run build` (npm install does it too).');
  process.exit(2);
}
await import(entry.href);
