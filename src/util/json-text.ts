import { existsSync, readFileSync } from 'node:fs';
import { UserError, at, quote } from './errors.js';

/**
 * JSON as xlatent reads it from users: strict syntax with the line and
 * column of the first error, and duplicate object keys refused (JSON.parse
 * keeps the last one silently, so `{"CN": [...], "CN": [...]}` would lose
 * data without a word).
 */

/** The first problem {@link scanJson} finds. */
export interface JsonProblem {
  /** Offset (UTF-16 code units) into the text. */
  pos: number;
  message: string;
}

const WS = new Set([32, 9, 10, 13]);
const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/**
 * Checks JSON text in one pass without recursion (deep nesting cannot
 * overflow the stack): returns the first syntax error or duplicate key, or
 * null when `JSON.parse` will accept the text with every key distinct.
 */
export function scanJson(text: string): JsonProblem | null {
  const n = text.length;
  let i = 0;
  const stack: (Set<string> | null)[] = []; // a Set of keys per open object, null per open array
  const ws = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const problem = (message: string): JsonProblem => ({ pos: Math.min(i, n), message });
  /** End (after the closing quote) of the string starting at i, or -1. */
  const stringEnd = (): number => {
    let j = i + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 34) return j + 1;
      if (c === 92) {
        const e = text[j + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) return -1;
          j += 6;
        } else if (e !== undefined && ESCAPES.has(e)) j += 2;
        else return -1;
      } else if (c < 32) return -1;
      else j++;
    }
    return -1;
  };
  /** Reads `"key":` into the innermost object; returns a problem or null. */
  const key = (keys: Set<string>): JsonProblem | null => {
    ws();
    if (text.charCodeAt(i) !== 34) return problem('expected a key in double quotes');
    const end = stringEnd();
    if (end < 0) return problem('unterminated string or bad escape in a key');
    const raw = text.slice(i + 1, end - 1);
    const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
    if (keys.has(name)) return problem(`duplicate key ${quote(name)} in one object (JSON keeps only the last; remove or rename one)`);
    keys.add(name);
    i = end;
    ws();
    if (text.charCodeAt(i) !== 58) return problem('expected ":" after a key');
    i++;
    return null;
  };
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      if (i >= n) return problem('unexpected end of the text (truncated?)');
      const c = text.charCodeAt(i);
      if (c === 123 || c === 91) {
        i++;
        ws();
        if (text.charCodeAt(i) === (c === 123 ? 125 : 93)) {
          i++;
          expectValue = false;
          continue;
        }
        const keys = c === 123 ? new Set<string>() : null;
        stack.push(keys);
        if (keys) {
          const p = key(keys);
          if (p) return p;
        }
        continue;
      }
      if (c === 34) {
        const end = stringEnd();
        if (end < 0) return problem('unterminated string or bad escape');
        i = end;
      } else {
        LITERAL.lastIndex = i;
        const m = LITERAL.exec(text);
        if (!m) return problem('expected a value (number, string, true, false, null, object or array)');
        i += m[0].length;
      }
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < n ? problem('unexpected text after the end of the JSON value') : null;
    const c = text.charCodeAt(i);
    if (c === 44) {
      i++;
      if (top) {
        const p = key(top);
        if (p) return p;
      }
      expectValue = true;
    } else if (c === (top ? 125 : 93)) {
      i++;
      stack.pop();
    } else return problem(`expected "," or "${top ? '}' : ']'}"`);
  }
}

/** 1-based line and column of offset `pos` in `text`. */
export function lineColumn(text: string, pos: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return [line, pos - lineStart + 1];
}

/** Parses JSON a user supplied; a syntax error or duplicate key is a UserError at `source:line:column`. */
export function parseJsonText(text: string, source: string): unknown {
  const p = scanJson(text);
  if (p) {
    const [line, col] = lineColumn(text, p.pos);
    throw new UserError(`not valid JSON: ${p.message}`, at(source, line, col));
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message.split('\n')[0]})`, source);
  }
}

/** A JSON file xlatent wrote itself (run records, trial results), or undefined when there is none; unreadable JSON is a UserError naming the file. */
export function readJsonIfExists<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message})`, path);
  }
}
