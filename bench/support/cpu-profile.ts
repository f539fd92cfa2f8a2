/**
 * A V8 CPU profile (.cpuprofile, as the app writes it on request: support/app-server.ts) summarized for the
 * report: self time by function and by where the code comes from (a package, Node's internals, the app's src/).
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled time not idle, ms. */
  busyMs: number;
  /** Idle time (the event loop waiting), ms. */
  idleMs: number;
  topFunctions: { name: string; where: string; selfMs: number; percent: number }[];
  bySource: { source: string; selfMs: number; percent: number }[];
}

/** Where a frame's code is from: `node_modules/<package>`, `node:internal`, `src/<folder>`, or V8's own. */
function sourceOf(fullUrl: string, functionName: string): string {
  if (fullUrl === '') return functionName.startsWith('(') ? functionName : '(native)';
  const url = withoutBuildDirectory(fullUrl);
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const project = /\/(src|bench)\/([^/]+)/.exec(url);
  if (project) return `${project[1]}/${project[2]!.replace(/\.ts$/, '')}`;
  return url;
}

/**
 * The app's own code, as the benchmark builds it (support/app-build.ts: under node_modules/.cache/<name>/<build>/),
 * rooted at the build: `/src/...`, so that it reads as the app's src/ and not as a package named `.cache`.
 */
function withoutBuildDirectory(url: string): string {
  return url.replace(/^.*\/node_modules\/\.cache\/[^/]+\/[^/]+\//, '/');
}

function shortUrl(fullUrl: string): string {
  const url = withoutBuildDirectory(fullUrl);
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const project = /\/((?:src|bench)\/.*)$/.exec(url);
  return project ? project[1]! : url;
}

export async function summarizeProfile(file: string, count: number): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i: a sample stands for the time up to the next one.
  for (let index = 0; index < samples.length; index += 1) {
    const us = deltas[index + 1] ?? 0;
    selfUs.set(samples[index]!, (selfUs.get(samples[index]!) ?? 0) + Math.max(0, us));
  }
  let idleUs = 0;
  let busyUs = 0;
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const bySource = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const name = functionName || '(anonymous)';
    const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const source = sourceOf(url, functionName);
    bySource.set(source, (bySource.get(source) ?? 0) + us);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  const percent = (us: number) => (busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0);
  return {
    file,
    busyMs: ms(busyUs),
    idleMs: ms(idleUs),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, count)
      .map(({ name, where, us }) => ({ name, where, selfMs: ms(us), percent: percent(us) })),
    bySource: [...bySource]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([source, us]) => ({ source, selfMs: ms(us), percent: percent(us) })),
  };
}

/** True for a frame of the app's own code (src/), as built or run from source. */
function isAppFrame(url: string): boolean {
  const rooted = withoutBuildDirectory(url);
  return rooted.includes('/src/') && !rooted.includes('node_modules/');
}

/**
 * Busy time charged to the app's own function nearest each sample's leaf (its self time plus that of the libraries
 * and Node internals it called), most first; a sample with no app frame on its stack is charged to its leaf's source
 * (`(no app frame) <source>`): what of ours the time was spent for, where self time says only where it was spent.
 */
export async function appFramesOf(file: string): Promise<{ name: string; where: string; percent: number }[]> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const chargedTo = new Map<number, string>();
  const chargeOf = (leaf: number): string => {
    const known = chargedTo.get(leaf);
    if (known !== undefined) return known;
    let charge: string | undefined;
    for (let id: number | undefined = leaf; id !== undefined; id = parentOf.get(id)) {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      if (isAppFrame(url)) {
        charge = `${functionName || '(anonymous)'}\t${shortUrl(url)}:${lineNumber + 1}`;
        break;
      }
    }
    const { functionName, url } = byId.get(leaf)!.callFrame;
    charge ??= `(no app frame) ${sourceOf(url, functionName)}\t`;
    chargedTo.set(leaf, charge);
    return charge;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const charged = new Map<string, number>();
  let busyUs = 0;
  for (let index = 0; index < samples.length; index += 1) {
    const leaf = samples[index]!;
    if (byId.get(leaf)!.callFrame.functionName === '(idle)') continue;
    const us = Math.max(0, deltas[index + 1] ?? 0);
    busyUs += us;
    const charge = chargeOf(leaf);
    charged.set(charge, (charged.get(charge) ?? 0) + us);
  }
  return [...charged]
    .sort((a, b) => b[1] - a[1])
    .map(([charge, us]) => {
      const [name, where] = charge.split('\t') as [string, string];
      return { name, where, percent: busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0 };
    });
}
