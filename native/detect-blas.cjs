// Prints "openblas" when OpenBLAS headers and library are installed, else "none";
// binding.gyp uses it to choose between cblas_sgemm and the portable C SGEMM.
const fs = require('node:fs');
const headers = ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/aarch64-linux-gnu/cblas.h', '/usr/include/cblas.h', '/usr/include/openblas/cblas.h', '/usr/local/include/cblas.h'];
const libs = ['/usr/lib/x86_64-linux-gnu/libopenblas.so', '/usr/lib/aarch64-linux-gnu/libopenblas.so', '/usr/lib/libopenblas.so', '/usr/lib64/libopenblas.so', '/usr/local/lib/libopenblas.so'];
const has = (l) => l.some((p) => fs.existsSync(p));
process.stdout.write(process.env.XLATENT_BLAS === 'none' || !(has(headers) && has(libs)) ? 'none' : 'openblas');
