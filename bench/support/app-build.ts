/**
 * The app compiled to JavaScript before it starts, as `npm start` runs it (`nest build`, then `node --max-semi-space-size=16 --max-old-space-size=192 dist/main.js`),
 * rather than transformed as it loads: with the transform in the app's process (support/swc-register.mts), @swc/core's
 * native binding and every module's inline source map stay in its memory — about a hundred MB more RSS than the
 * built app — and the app's first requests pay for compiling. Same transform (@swc/core with the project's
 * `.swcrc`, CommonJS), the same files as `nest build` (src/ without specs), plus the benchmark's server harness
 * (app-server.ts and what it imports), into a directory of its own under node_modules/.cache (so that packages
 * resolve from the project's node_modules; never dist/, which `npm run build` deletes and rebuilds while others
 * may run tests), removed at the end of the run.
 */
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Options, transform } from '@swc/core';

const projectRoot = path.join(__dirname, '..', '..');
/** The harness files the built app-server.ts needs beside src/. */
const harnessFiles = ['app-server.ts', 'seam-routes.module.ts', 'server-protocol.ts'];

export interface AppBuild {
  directory: string;
  /** The compiled bench/support/app-server.ts. */
  serverScript: string;
}

async function swcOptions(): Promise<Options> {
  const { $schema: _schema, ...swcrc } = JSON.parse(
    await readFile(path.join(projectRoot, '.swcrc'), 'utf8'),
  ) as Options & { $schema?: string };
  return { ...swcrc, swcrc: false, sourceMaps: false, module: { type: 'commonjs' } };
}

async function compile(source: string, target: string, options: Options): Promise<void> {
  const { code } = await transform(await readFile(source, 'utf8'), { ...options, filename: source });
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, code);
}

/** Compiles src/ and the harness into node_modules/.cache/payments-bench/<name>. */
export async function buildApp(name: string): Promise<AppBuild> {
  const directory = path.join(projectRoot, 'node_modules', '.cache', 'payments-bench', name);
  const options = await swcOptions();
  const sources = (await readdir(path.join(projectRoot, 'src'), { recursive: true }))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => path.join('src', file));
  const files = [...sources, ...harnessFiles.map((file) => path.join('bench', 'support', file))];
  try {
    await Promise.all(
      files.map((file) =>
        compile(path.join(projectRoot, file), path.join(directory, file.replace(/\.ts$/, '.js')), options),
      ),
    );
    // src/database/migrate.ts finds the migrations at ../../drizzle from itself.
    await symlink(path.join(projectRoot, 'drizzle'), path.join(directory, 'drizzle'), 'dir');
  } catch (error) {
    await removeAppBuild(directory);
    throw error;
  }
  return { directory, serverScript: path.join(directory, 'bench', 'support', 'app-server.js') };
}

export async function removeAppBuild(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}
