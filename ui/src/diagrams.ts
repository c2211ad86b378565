// Mermaid diagrams in replies. The markdown renderer emits each ```mermaid block as its source
// (a .diagram box); once the block's closing fence has arrived, this draws it as SVG. mermaid is
// loaded on the first diagram only (a split chunk), and a diagram is rendered once per source and
// theme: a streaming reply re-renders its markdown every frame, and the drawing is reused.
import { h, stickToBottom } from './dom.js';

type Drawn = { svg: string } | { error: string };
const drawn = new Map<string, Drawn>();
const drawing = new Map<string, Promise<void>>();
const MAX_KEPT = 200;

const theme = (): 'light' | 'dark' => (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');

/**
 * Draws every closed diagram under `root` (now, from the cache, or when its render finishes);
 * a later drawing changes the DOM inside `around` (the chat keeps its scroll position through it).
 */
export function drawDiagrams(root: HTMLElement, around: (update: () => void) => void = (u) => u()): void {
  for (const box of root.querySelectorAll<HTMLElement>('.diagram[data-closed="true"]:not([data-state])')) {
    const source = box.querySelector('code')?.textContent ?? '';
    const key = `${theme()}\n${source}`;
    const done = drawn.get(key);
    if (done) {
      show(box, source, done);
      continue;
    }
    box.dataset.state = 'rendering';
    if (!drawing.has(key)) drawing.set(key, render(key, source));
    void drawing.get(key)!.then(() => {
      // The box may have been replaced by a later re-render of the same reply: draw what is there now.
      if (box.isConnected) {
        delete box.dataset.state;
        around(() => drawDiagrams(root, around));
      }
    });
  }
}

async function render(key: string, source: string): Promise<void> {
  let result: Drawn;
  try {
    // static/mermaid.js, a bundle of its own (mermaid-render.ts): app.js stays one small file.
    const url = new URL('mermaid.js', import.meta.url).href;
    const { renderDiagram } = (await import(url)) as typeof import('./mermaid-render.js');
    result = { svg: await renderDiagram(source, theme()) };
  } catch (err) {
    result = { error: (err as Error)?.message || String(err) };
  }
  if (drawn.size >= MAX_KEPT) drawn.delete(drawn.keys().next().value!);
  drawn.set(key, result);
  drawing.delete(key);
}

function show(box: HTMLElement, source: string, d: Drawn): void {
  const code = box.querySelector('pre');
  if ('error' in d) {
    // A broken diagram: its source stays, with mermaid's message; the page carries on.
    box.dataset.state = 'error';
    box.prepend(h('div', { class: 'diagram-error', role: 'note', text: `This diagram could not be drawn: ${d.error.split('\n').slice(0, 4).join('\n')}` }));
    return;
  }
  box.dataset.state = 'drawn';
  box.dataset.theme = theme();
  const figure = h('div', { class: 'diagram-svg', role: 'img', 'aria-label': `diagram: ${source.split('\n')[0]!.slice(0, 80)}` });
  figure.innerHTML = d.svg; // sanitized by DOMPurify's SVG profile in mermaid-render.ts
  const details = h('details', { class: 'diagram-code' }, h('summary', { text: 'source' }));
  if (code) details.append(code);
  box.replaceChildren(figure, details);
}

// A drawing is coloured for one scheme: when the system switches, each is drawn again (a reader
// at the bottom of the conversation stays there).
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  for (const box of document.querySelectorAll<HTMLElement>('.diagram[data-state="drawn"]')) {
    const code = box.querySelector('details.diagram-code pre');
    if (!code) continue;
    const log = box.closest<HTMLElement>('#log');
    const around = (update: () => void) => (log ? stickToBottom(log, update) : update());
    const root = box.closest<HTMLElement>('.markdown') ?? box.parentElement!;
    around(() => {
      box.replaceChildren(code);
      delete box.dataset.state;
      delete box.dataset.theme;
      drawDiagrams(root, around);
    });
  }
});
