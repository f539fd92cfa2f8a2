/**
 * Reading the Kustomize base (deploy/kubernetes/base) the way `kubectl apply -k` would, for the fields the tests
 * check. `kubectl kustomize` renders it where kubectl is installed; elsewhere (CI machines without it) the base is
 * assembled from its files by `renderByParsing`, which knows only what the base uses (`resources` and
 * `configMapGenerator`) and refuses anything else, so that a base it cannot read fails instead of passing unread.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface HttpProbe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
  startupProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  restartPolicy?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } | Record<string, string>;
    template?: PodTemplate;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    ports?: { name?: string; port: number; targetPort?: string | number }[];
  };
}

/** The rendering, and how it was made. */
export interface Rendering {
  by: 'kubectl' | 'parsing';
  resources: Resource[];
}

function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function documentsOf(text: string, source: string): Resource[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${source}: ${document.errors[0]?.message}`);
      return document.toJS() as Resource | null;
    })
    .filter((resource): resource is Resource => resource !== null);
}

/** `kubectl kustomize <directory>`, or undefined where kubectl is not installed. */
export function renderWithKubectl(directory: string): Resource[] | undefined {
  if (!kubectlAvailable()) return undefined;
  const output = execFileSync('kubectl', ['kustomize', directory], { encoding: 'utf8' });
  return documentsOf(output, `kubectl kustomize ${directory}`);
}

/** KEY=VALUE lines of a Kustomize `envs` file: blank lines and `#` comments skipped, the value as written. */
export function envFileEntries(text: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const equals = trimmed.indexOf('=');
    if (equals <= 0) throw new Error(`not KEY=VALUE: ${line}`);
    entries[trimmed.slice(0, equals)] = trimmed.slice(equals + 1);
  }
  return entries;
}

interface Kustomization {
  resources?: string[];
  configMapGenerator?: { name: string; envs?: string[]; literals?: string[] }[];
}

const kustomizationKeysUnderstood = new Set(['apiVersion', 'kind', 'resources', 'configMapGenerator']);

/**
 * The base assembled from its files: every resource file, and a ConfigMap per generator. Kustomize also appends a
 * hash of the content to a generated name (and to the references to it); names here are left without it.
 */
export function renderByParsing(directory: string): Resource[] {
  const kustomization = parse(readFileSync(join(directory, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(kustomization).filter((key) => !kustomizationKeysUnderstood.has(key));
  if (unknown.length > 0) {
    throw new Error(`renderByParsing does not apply ${unknown.join(', ')}: teach it, or render with kubectl`);
  }
  const resources: Resource[] = [];
  for (const generator of kustomization.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const file of generator.envs ?? [])
      Object.assign(data, envFileEntries(readFileSync(join(directory, file), 'utf8')));
    Object.assign(data, envFileEntries((generator.literals ?? []).join('\n')));
    resources.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  for (const file of kustomization.resources ?? []) {
    const path = join(directory, file);
    if (!existsSync(path) || existsSync(join(path, 'kustomization.yaml'))) {
      throw new Error(`renderByParsing reads resource files only, not ${file}`);
    }
    resources.push(...documentsOf(readFileSync(path, 'utf8'), path));
  }
  return resources;
}

/** kubectl's rendering where it is installed, otherwise the parsed one. */
export function renderBase(directory: string): Rendering {
  const rendered = renderWithKubectl(directory);
  return rendered ? { by: 'kubectl', resources: rendered } : { by: 'parsing', resources: renderByParsing(directory) };
}

/** The names of the generated ConfigMaps of a kubectl rendering, with Kustomize's content hash (`-<10 chars>`). */
export function withoutGeneratedHashes(resources: Resource[], generatedNames: string[]): Resource[] {
  const hashed = new RegExp(`^(${generatedNames.join('|')})-[a-z0-9]{10}$`);
  return JSON.parse(
    JSON.stringify(resources, (key, value: unknown) =>
      key === 'name' && typeof value === 'string' ? value.replace(hashed, '$1') : value,
    ),
  ) as Resource[];
}

export function generatedConfigMapNames(directory: string): string[] {
  const kustomization = parse(readFileSync(join(directory, 'kustomization.yaml'), 'utf8')) as Kustomization;
  return (kustomization.configMapGenerator ?? []).map((generator) => generator.name);
}

/** The process's environment as Kubernetes would set it: envFrom ConfigMaps first, then `env` over them. */
export function environmentOf(
  container: Container,
  resources: Resource[],
  secretValue: (name: string, key: string) => string | undefined,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) continue;
    const configMap = resources.find(
      (resource) => resource.kind === 'ConfigMap' && resource.metadata.name === source.configMapRef?.name,
    );
    if (!configMap) throw new Error(`no ConfigMap ${source.configMapRef.name} in the rendering`);
    Object.assign(environment, configMap.data ?? {});
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    const value = secret ? secretValue(secret.name, secret.key) : variable.value;
    if (value !== undefined) environment[variable.name] = value;
  }
  return environment;
}

/** The names of every variable a container sets: its `env`, and the keys of the ConfigMaps it takes whole. */
export function variablesSetBy(container: Container, resources: Resource[]): string[] {
  return Object.keys(environmentOf(container, resources, () => 'set'));
}

/**
 * The environment variables the app's configuration reads: the keys of the `z.object({...})` that
 * src/config/config.schema.ts names `environmentSchema`, read from its syntax tree (the schema's object is not
 * exported, and zod drops unknown keys silently, so parsing a configuration cannot tell a misspelt name).
 */
export function configSchemaVariables(schemaFile: string): string[] {
  const source = ts.createSourceFile(schemaFile, readFileSync(schemaFile, 'utf8'), ts.ScriptTarget.Latest, true);
  let names: string[] | undefined;
  const objectLiteralOfZodObject = (node: ts.Node): ts.ObjectLiteralExpression | undefined => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'object' &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === 'z'
    ) {
      const [argument] = node.arguments;
      if (argument && ts.isObjectLiteralExpression(argument)) return argument;
    }
    return ts.forEachChild(node, objectLiteralOfZodObject);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'environmentSchema') {
      const literal = node.initializer && objectLiteralOfZodObject(node.initializer);
      names = literal?.properties.map((property) => {
        if (!property.name || !(ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) {
          throw new Error(`${schemaFile}: a key of environmentSchema that is not a plain name`);
        }
        return property.name.text;
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!names || names.length === 0) throw new Error(`${schemaFile}: no z.object({...}) in environmentSchema`);
  return names;
}

/** Kubernetes quantities as numbers: CPU in millicores, memory in bytes. */
export function millicores(quantity: string | number): number {
  const text = String(quantity);
  if (/^[0-9]+m$/.test(text)) return Number(text.slice(0, -1));
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) return Math.round(Number(text) * 1000);
  throw new Error(`not a CPU quantity: ${text}`);
}

const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

export function bytes(quantity: string | number): number {
  const match = /^([0-9]+)(Ki|Mi|Gi)?$/.exec(String(quantity));
  if (!match?.[1]) throw new Error(`not a memory quantity in Ki/Mi/Gi: ${quantity}`);
  return Number(match[1]) * (match[2] ? (binarySuffixes[match[2]] ?? 1) : 1);
}

/** The rows of the markdown table between `<!-- name:start -->` and `<!-- name:end -->`, by header. */
export function markdownTable(markdownFile: string, name: string): Record<string, string>[] {
  const text = readFileSync(markdownFile, 'utf8');
  const start = text.indexOf(`<!-- ${name}:start -->`);
  const end = text.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`${markdownFile}: no table ${name}`);
  const lines = text
    .slice(start, end)
    .split('\n')
    .filter((line) => line.trim().startsWith('|'));
  const cells = (line: string) =>
    line
      .trim()
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim().replaceAll('`', ''));
  const [header, , ...rows] = lines;
  if (!header) throw new Error(`${markdownFile}: table ${name} has no header`);
  const columns = cells(header);
  return rows.map((row) => Object.fromEntries(cells(row).map((cell, index) => [columns[index] ?? `${index}`, cell])));
}

export const repositoryRoot = join(__dirname, '..', '..');
export const baseDirectory = join(repositoryRoot, 'deploy', 'kubernetes', 'base');
