/** For `eventually` on in-memory state: a synchronous read wrapped as the promise `eventually` polls. */
export function current<T>(read: () => T): () => Promise<T> {
  return () => Promise.resolve(read());
}
