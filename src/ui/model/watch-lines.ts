// A watch answers with one JSON object per line, in chunks that need not end at a line: this splits what arrived
// into whole lines and keeps the rest for the next chunk.
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
  object: T;
}

export function splitLines(pending: string, chunk: string): { lines: string[]; rest: string } {
  const text = pending + chunk;
  const parts = text.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.filter((l) => l.trim() !== ''), rest };
}

export function parseWatchLine<T>(line: string): WatchEvent<T> | undefined {
  try {
    const parsed = JSON.parse(line) as WatchEvent<T>;
    return typeof parsed?.type === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
