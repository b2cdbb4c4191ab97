// Apart from read-file.ts (Node file access) so that metadata validation runs in the browser entry too.

/**
 * Whether `p` is a plain relative path with forward slashes that stays
 * inside the folder it is relative to: no leading slash or drive letter, no
 * backslash, no empty, "." or ".." segment, no NUL.
 */
export function isPlainRelativePath(p: string): boolean {
  return (
    p.length > 0 &&
    !p.startsWith('/') &&
    !p.includes('\\') &&
    !p.includes('\0') &&
    !/^[A-Za-z]:/.test(p) &&
    p.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
  );
}
