// Tiny DOM helpers: the page is small enough that a framework would cost more than it saves.

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

type Attrs = Record<string, string | boolean | undefined | ((e: Event) => void)>;

/** Creates an element: `on*` attributes become listeners, `true` a bare attribute, text children text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/** Keeps a scroller pinned to the bottom only while the reader has not scrolled up. */
export function stickToBottom(el: HTMLElement, update: () => void): void {
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  update();
  if (atBottom) el.scrollTop = el.scrollHeight;
}
