/**
 * Runs the TypeScript sources (bench/, src/) in place with @swc/core and the project's `.swcrc`: the same
 * transform as the Jest suite, decorator metadata included (Nest's constructor injection needs it, which
 * esbuild-based runners such as tsx do not emit). Load it first: `node --import ./bench/support/swc-register.mts …`.
 *
 * Node 24 loads this file itself with its built-in type stripping, so it uses erasable syntax only.
 */
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import swc from '@swc/core';

const projectRoot = path.resolve(import.meta.dirname, '..', '..');
// `.swcrc` minus its `$schema`, which is an editor hint and not a transform option.
const { $schema: _schema, ...swcrc } = JSON.parse(readFileSync(path.join(projectRoot, '.swcrc'), 'utf8')) as Record<
  string,
  unknown
> &
  swc.Options;

function isProjectTypeScript(url: string): boolean {
  return url.startsWith('file:') && url.endsWith('.ts') && !url.includes('/node_modules/');
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      // `import './x'` compiles to `require('./x')`: find x.ts (or x/index.ts) the way TypeScript does. Not by
      // extname: './config.schema' names config.schema.ts.
      if (!specifier.startsWith('.')) throw error;
      for (const candidate of [`${specifier}.ts`, `${specifier}/index.ts`]) {
        try {
          return nextResolve(candidate, context);
        } catch {
          // try the next candidate
        }
      }
      throw error;
    }
  },
  load(url, context, nextLoad) {
    if (!isProjectTypeScript(url)) return nextLoad(url, context);
    const filename = fileURLToPath(url);
    const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
      ...swcrc,
      filename,
      swcrc: false,
      // Inline maps for a process that turns them on (the benchmark does; the app under test runs without, as
      // `node dist/main.js` does in production).
      sourceMaps: 'inline',
      // `import()` stays Node's own, as TypeScript (module nodenext) reads it: the way to load an ES module with
      // top-level await (vega), which require() cannot.
      module: { type: 'commonjs', ignoreDynamic: true },
    });
    return { format: 'commonjs', source: code, shortCircuit: true };
  },
});
