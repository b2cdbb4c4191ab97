/**
 * Loaded with `node --import` by the CLI tests: makes one file-system call
 * fail as the environment would (XL_INJECT=CODE:call, e.g. ENOSPC:writeSync,
 * EROFS:openSync), for files the command writes (temporary siblings, *.tmp),
 * so a full disk or a read-only mount can be tested without one.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const [code, call] = (process.env.XL_INJECT ?? '').split(':');
const messages = { ENOSPC: 'no space left on device', EROFS: 'read-only file system', EACCES: 'permission denied' };
if (code && call && typeof fs[call] === 'function') {
  const real = fs[call];
  const tmpFds = new Set();
  const realOpen = fs.openSync;
  fs.openSync = function (path, ...rest) {
    if (call === 'openSync' && String(path).endsWith('.tmp')) {
      throw Object.assign(new Error(`${code}: ${messages[code]}, open '${path}'`), { code, errno: -1, syscall: 'open', path: String(path) });
    }
    const fd = realOpen.call(this, path, ...rest);
    if (String(path).endsWith('.tmp')) tmpFds.add(fd);
    return fd;
  };
  if (call === 'writeSync') {
    fs.writeSync = function (fd, ...rest) {
      if (tmpFds.has(fd)) throw Object.assign(new Error(`${code}: ${messages[code]}, write`), { code, errno: -28, syscall: 'write' });
      return real.call(this, fd, ...rest);
    };
  }
  syncBuiltinESMExports();
}
