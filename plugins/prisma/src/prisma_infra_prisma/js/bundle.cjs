'use strict';
// node bundle.cjs <generated/client.ts> <out.cjs>: bundle Prisma's generated TypeScript client into
// one CommonJS file; npm packages stay external (resolved from the toolchain's node_modules).
const esbuild = require('esbuild');

const [entry, outfile] = process.argv.slice(2);
esbuild.buildSync({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
