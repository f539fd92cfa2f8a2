// `npm run lint` runs this after ESLint: dependency-cruiser's rules from .dependency-cruiser.cjs (infrastructure
// imports no feature, features reach each other through their public surface, no file-level cycle) and, on the
// same cruise, no folder-level loop: src/a importing src/b while src/b imports src/a, by any files and any path
// through other folders (dependency-cruiser's own folder scope works on each file's innermost folder, which can
// miss a loop through subfolders, so folders are collapsed to src/* here). Usage: node scripts/check-boundaries.mjs
// [project root, default the current directory]. Exits 1 on any violation.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise, format } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.cjs');
const root = path.resolve(process.argv[2] ?? '.');
process.chdir(root);

const { tsConfig, ...cruiseOptions } = config.options;
const useTsConfig = existsSync(tsConfig.fileName);
const { output: result } = await cruise(
  ['src'],
  { ...cruiseOptions, ...(useTsConfig ? { tsConfig } : {}), ruleSet: { forbidden: config.forbidden }, validate: true },
  undefined,
  useTsConfig ? { tsConfig: extractTSConfig(tsConfig.fileName) } : undefined,
);

const folderOf = (source) => /^src\/([^/]+)\//.exec(source)?.[1];

/** src/* folder → folder → one file import that makes the edge (the first found). */
const edges = new Map();
for (const module of result.modules) {
  const from = folderOf(module.source);
  if (!from) continue;
  for (const dependency of module.dependencies) {
    const to = folderOf(dependency.resolved);
    if (!to || to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${module.source} → ${dependency.resolved}`);
  }
}

/** The shortest folder path from → … → to, by breadth-first search, or undefined. */
function pathBetween(from, to) {
  const previous = new Map([[from, undefined]]);
  const queue = [from];
  while (queue.length > 0) {
    const folder = queue.shift();
    for (const next of edges.get(folder)?.keys() ?? []) {
      if (previous.has(next)) continue;
      previous.set(next, folder);
      if (next === to) {
        const folders = [to];
        for (let at = folder; at !== undefined; at = previous.get(at)) folders.unshift(at);
        return folders;
      }
      queue.push(next);
    }
  }
  return undefined;
}

// One report per loop: each loop is found from its alphabetically first folder.
const loops = new Map();
for (const [from, targets] of edges) {
  for (const to of targets.keys()) {
    const back = pathBetween(to, from);
    if (!back) continue;
    const cycle = [from, ...back];
    const members = cycle.slice(0, -1);
    const start = members.indexOf([...members].sort()[0]);
    const rotated = [...members.slice(start), ...members.slice(0, start), members[start]];
    loops.set(rotated.join(' → '), rotated);
  }
}

const report = await format(result, { outputType: 'err' });
const errors = result.summary.error;
process.stdout.write(errors > 0 ? report.output : '');
for (const cycle of loops.values()) {
  process.stdout.write(`\n  error no-folder-loop: src/${cycle.join(' → src/')}\n`);
  for (let index = 0; index < cycle.length - 1; index += 1) {
    process.stdout.write(`    ${edges.get(cycle[index]).get(cycle[index + 1])}\n`);
  }
}
const total = errors + loops.size;
process.stdout.write(
  total > 0
    ? `\n✘ ${errors} dependency violation(s), ${loops.size} folder-level loop(s) (rules: .dependency-cruiser.cjs)\n`
    : `✔ module boundaries kept: ${result.summary.totalCruised} modules, no folder-level loop\n`,
);
process.exitCode = total > 0 ? 1 : 0;
