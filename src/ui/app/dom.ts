// A tiny element builder: the UI is a handful of forms and tables, not worth a framework.
type Attr = string | number | boolean | undefined | ((event: Event) => void);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Array<Node | string | undefined | false>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

/** Keeps keyboard focus across a re-render: the element with the same data-key gets it back. */
export function keepFocus(root: Element, render: () => void): void {
  const active = document.activeElement;
  const key = active instanceof Element && root.contains(active) ? active.getAttribute('data-key') : null;
  render();
  if (key === null) return;
  const again = root.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (again instanceof HTMLElement || again instanceof SVGElement) again.focus();
}
