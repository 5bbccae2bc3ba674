// How `podflow start` keeps its pod table live on a terminal.

/** Redraws are coalesced to at most one per this many milliseconds. */
const REDRAW_INTERVAL_MS = 80;
/** What is drawn may move with the clock (the table's AGE column): redraw at least this often. */
const TICK_MS = 1000;

/**
 * A block of lines at the bottom of a terminal, redrawn in place: the cursor goes back up over the previous
 * drawing (CSI n F), which is then cleared (CSI J). Static text is printed above it.
 */
export class LiveRegion {
  #drawn = 0;
  #pending: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;
  readonly #write: (text: string) => void;
  readonly #terminal: { readonly columns: number };
  readonly #render: () => string[];

  constructor(write: (text: string) => void, terminal: { readonly columns: number }, render: () => string[]) {
    this.#write = write;
    this.#terminal = terminal;
    this.#render = render;
    this.#tick = setInterval(() => this.draw(), TICK_MS);
  }

  #erase(): string {
    return this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : '';
  }

  /** Redraws now. */
  draw(above = ''): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
    const columns = Math.max(20, this.#terminal.columns);
    // A line as wide as the terminal would wrap (or leave the cursor in the last column): cut it short.
    const lines = this.#render().map((l) => (l.length >= columns ? `${l.slice(0, columns - 2)}…` : l));
    this.#write(`${this.#erase()}${above}${lines.map((l) => `${l}\n`).join('')}`);
    this.#drawn = lines.length;
  }

  /** Redraws soon (changes come in bursts). */
  schedule(): void {
    this.#pending ??= setTimeout(() => this.draw(), REDRAW_INTERVAL_MS);
  }

  /** Prints static text above the region. */
  print(text: string): void {
    this.draw(text);
  }

  /** Removes the region; what was printed above it stays. */
  close(): void {
    clearTimeout(this.#pending);
    clearInterval(this.#tick);
    this.#write(this.#erase());
    this.#drawn = 0;
  }
}
