import { existsSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserError, quote } from '../util/errors.js';
import { parseJsonText } from '../util/json-text.js';
import { readInputText } from '../util/read-file.js';
import { TrainConfigSchema, type TrainConfig } from './schema.js';

/** Most nodes one YAML alias may expand to: plenty for anchors a person writes, far below an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/** A config file as parsed, before validation. */
export interface ConfigDocument {
  /** The top-level mapping. */
  raw: Record<string, unknown>;
  /** Line (1-based) of the key at a key path, or of its nearest enclosing key; undefined for JSON. */
  lineOf: (keyPath: readonly (string | number)[]) => number | undefined;
}

/**
 * Reads and parses a YAML or JSON config file (not yet validated): a
 * missing file, another extension, a syntax error (with line and column), a
 * duplicate key, an alias bomb or a top level that is not a mapping is a
 * UserError naming the file.
 */
export function readConfigFile(path: string): ConfigDocument {
  if (!existsSync(path)) throw new UserError('config file not found', path);
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new UserError(`unsupported config extension ${quote(ext)} (expected .yaml, .yml or .json)`, path);
  }
  const text = readInputText(path);
  let raw: unknown;
  const lines = new LineCounter();
  let doc: ReturnType<typeof parseDocument> | undefined;
  if (ext === '.json') {
    raw = parseJsonText(text, path);
  } else {
    // Duplicate keys are errors (uniqueKeys), as in JSON configs.
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const pos = lines.linePos(err.pos[0]);
      throw new UserError(`not valid YAML (${err.message.split('\n')[0]})`, `${path}:${pos.line}:${pos.col}`);
    }
    try {
      // An alias expanding into many nodes ("billion laughs") is refused before it is built.
      raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      throw new UserError(`YAML aliases (*name) expand too far (${(e as Error).message.split('\n')[0]}); a config needs no nested aliases`, path);
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError('expected a mapping of settings at the top level', path);
  }
  return { raw: raw as Record<string, unknown>, lineOf: (keyPath) => lineOf(doc, lines, keyPath) };
}

/**
 * Reads a YAML or JSON config file and validates it against `schema`.
 * Every problem is reported with the file, the line where the key sits (when
 * the parser knows it) and the dotted key path, e.g.
 * `configs/a.yaml:7: network.hiden: unknown key (expected one of nStyle, hidden, ...)`.
 */
export function loadConfigFile<S extends z.ZodType>(path: string, schema: S): z.output<S> {
  const { raw, lineOf: lineOfPath } = readConfigFile(path);
  return validate(raw, schema, path, lineOfPath);
}

/** Validates an already-parsed object, reporting the first few problems with key paths. */
export function validate<S extends z.ZodType>(
  raw: unknown,
  schema: S,
  source: string,
  lineOfPath: (path: readonly (string | number)[]) => number | undefined = () => undefined,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      const full = [...path, keys[0]];
      const line = lineOfPath(full);
      const allowed = allowedKeys(schema, path);
      return `${source}${line ? `:${line}` : ''}: ${full.join('.')}: unknown key${keys.length > 1 ? `s ${keys.join(', ')}` : ''}${allowed ? ` (expected one of ${allowed.join(', ')})` : ''}`;
    }
    const line = lineOfPath(path);
    const where = path.length > 0 ? path.join('.') : '(top level)';
    return `${source}${line ? `:${line}` : ''}: ${where}: ${issue.message}`;
  });
  const more = parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more problems)` : '';
  throw new UserError(messages.join('; ') + more);
}

/** Keys an object schema accepts at `path`, for "did you mean" style help. */
function allowedKeys(schema: z.ZodType, path: (string | number)[]): string[] | undefined {
  return keysAt(schema, path.map(String));
}

/** The schema inside defaults, optionals and the like (whatever wraps an `innerType`). */
function unwrap(s: unknown): unknown {
  for (let i = 0; i < 8; i++) {
    const def = (s as { def?: { innerType?: unknown } } | undefined)?.def;
    if (!def?.innerType) break;
    s = def.innerType;
  }
  return s;
}

/** The fields of an object schema (the first union member's that has `key`, for unions of objects). */
function objectShape(s: unknown, key?: string): Record<string, z.ZodType> | undefined {
  s = unwrap(s);
  const shape = (s as { shape?: Record<string, z.ZodType> } | undefined)?.shape;
  if (shape) return shape;
  const options = (s as { def?: { type?: string; options?: unknown[] } } | undefined)?.def;
  if (options?.type !== 'union' || !options.options) return undefined;
  const shapes = options.options.map((o) => objectShape(o)).filter((x): x is Record<string, z.ZodType> => x !== undefined);
  return key === undefined ? (shapes.length > 0 ? Object.assign({}, ...shapes) : undefined) : shapes.find((sh) => key in sh);
}

/**
 * The schema of the field at a key path of an object schema, e.g.
 * `['network', 'hidden']`, looking through defaults, optionals and unions of
 * objects; undefined when no such field exists.
 */
export function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | undefined {
  let s: unknown = schema;
  for (const key of path) {
    const shape = objectShape(s, key);
    if (!shape || !Object.hasOwn(shape, key)) return undefined;
    s = shape[key];
  }
  return s as z.ZodType;
}

/** The keys an object field accepts (for messages), or undefined when the field is not an object. */
export function keysAt(schema: z.ZodType, path: readonly string[]): string[] | undefined {
  const s = schemaAt(schema, path);
  const shape = s === undefined ? undefined : objectShape(s);
  return shape ? Object.keys(shape) : undefined;
}

function lineOf(
  doc: ReturnType<typeof parseDocument> | undefined,
  lines: LineCounter,
  keyPath: readonly (string | number)[],
): number | undefined {
  if (!doc) return undefined;
  for (let depth = keyPath.length; depth > 0; depth--) {
    const parent = keyPath.slice(0, depth - 1);
    const node = parent.length ? doc.getIn(parent, true) : doc.contents;
    const key = keyPath[depth - 1];
    const items = (node as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items;
    const pair = items?.find((p) => p.key?.value === key);
    if (pair?.key?.range) return lines.linePos(pair.key.range[0]).line;
  }
  return undefined;
}

/**
 * Loads a training config and makes its relative paths (data.file, data.labels, the reference spectra, output)
 * relative to the config file's folder, so a config works from any cwd.
 */
export function loadTrainConfig(path: string): TrainConfig {
  return resolveConfigPaths(loadConfigFile(path, TrainConfigSchema), dirname(resolve(path)));
}

/** Makes the relative paths of a training config (data.file, data.labels, the reference spectra, output) relative to `base`, in place. */
export function resolveConfigPaths(cfg: TrainConfig, base: string): TrainConfig {
  if (cfg.data.file !== undefined && !isAbsolute(cfg.data.file)) cfg.data.file = resolve(base, cfg.data.file);
  if (cfg.data.labels !== undefined && !isAbsolute(cfg.data.labels)) cfg.data.labels = resolve(base, cfg.data.labels);
  const ref = cfg.preprocess?.calibrate.reference;
  if (ref) {
    ref.calculated = resolve(base, ref.calculated);
    if (ref.measured !== undefined) ref.measured = resolve(base, ref.measured);
  }
  if (!isAbsolute(cfg.output)) cfg.output = resolve(base, cfg.output);
  return cfg;
}
