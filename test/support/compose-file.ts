/** Reading a docker-compose file the way `docker compose` would, for the few things the tests check. */

export interface PublishedPort {
  service: string;
  // undefined when the port is published on every interface (Docker's default, 0.0.0.0 and ::).
  hostIp: string | undefined;
  spec: string;
}

interface ComposeService {
  ports?: unknown[];
  profiles?: string[];
  volumes?: unknown[];
  network_mode?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
}

export interface ComposeFile {
  services?: Record<string, ComposeService>;
}

/**
 * The host address of a short-syntax port (`[HOST:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`, or a bare number).
 * `127.0.0.1:5432:5432` and `[::1]:5432:5432` name one; `5432:5432` and `5432` publish on every interface.
 */
export function hostIpOfShortPort(spec: string): string | undefined {
  if (spec.startsWith('[')) {
    const end = spec.indexOf(']');
    return end > 0 ? spec.slice(1, end) : undefined;
  }
  const parts = spec.split(':');
  return parts.length === 3 ? parts[0] : undefined;
}

/** Every port every service publishes, in short (`'a:b:c'`, numbers) and long (`{ host_ip, published }`) syntax. */
export function publishedPortsOf(compose: ComposeFile): PublishedPort[] {
  const ports: PublishedPort[] = [];
  for (const [service, definition] of Object.entries(compose.services ?? {})) {
    for (const port of definition.ports ?? []) {
      if (typeof port === 'string' || typeof port === 'number') {
        ports.push({ service, hostIp: hostIpOfShortPort(String(port)), spec: String(port) });
      } else {
        const long = port as { host_ip?: string };
        ports.push({ service, hostIp: long.host_ip, spec: JSON.stringify(port) });
      }
    }
  }
  return ports;
}

/** Services that share the host's network stack: every port they listen on is open on every interface. */
export function hostNetworkServicesOf(compose: ComposeFile): string[] {
  return Object.entries(compose.services ?? {})
    .filter(([, definition]) => definition.network_mode === 'host')
    .map(([service]) => service);
}

/**
 * A service's environment after compose's variable substitution against `shell` (`${NAME}`, `${NAME:-default}`,
 * `${NAME-default}`, `$$`). Only what this repository's compose file uses; anything else is left as written.
 */
export function environmentOf(
  compose: ComposeFile,
  service: string,
  shell: Record<string, string | undefined>,
): Record<string, string> {
  const raw = compose.services?.[service]?.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const)
    : Object.entries(raw).map(([name, value]) => [name, value === null ? '' : `${value}`] as const);
  return Object.fromEntries(entries.map(([name, value]) => [name, substitute(value, shell)]));
}

function substitute(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g,
    (_whole: string, name: string | undefined, operator: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '$';
      const set = shell[name];
      if (operator === ':-') return set === undefined || set === '' ? (fallback ?? '') : set;
      if (operator === '-') return set === undefined ? (fallback ?? '') : set;
      return set ?? '';
    },
  );
}

/** A path of the host mounted into a service's container. */
export interface BindMount {
  service: string;
  source: string;
  target: string;
}

/**
 * Every bind mount of every service: short syntax (`./host/path:/container/path[:ro]`, a source that is a path) and
 * long syntax (`{ type: bind, source, target }`). Named volumes are not the host's files and are left out.
 */
export function bindMountsOf(compose: ComposeFile): BindMount[] {
  const mounts: BindMount[] = [];
  for (const [service, definition] of Object.entries(compose.services ?? {})) {
    for (const volume of definition.volumes ?? []) {
      if (typeof volume === 'string') {
        const [source = '', target = ''] = volume.split(':');
        if (/^[./~]/.test(source)) mounts.push({ service, source, target });
      } else {
        const long = volume as { type?: string; source?: string; target?: string };
        if (long.type === 'bind') mounts.push({ service, source: long.source ?? '', target: long.target ?? '' });
      }
    }
  }
  return mounts;
}
