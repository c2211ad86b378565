// Mermaid source → sanitized SVG. This module is imported lazily (esbuild splits it and mermaid
// into static/chunks/), so the first screen never loads mermaid: only a reply with a diagram does.
import DOMPurify from 'dompurify';
import mermaid from 'mermaid';

let configured: 'light' | 'dark' | undefined;
let counter = 0;

function configure(theme: 'light' | 'dark'): void {
  if (configured === theme) return;
  configured = theme;
  mermaid.initialize({
    startOnLoad: false,
    // strict: no click handlers, no script in labels; mermaid itself sanitizes label text.
    securityLevel: 'strict',
    theme: theme === 'dark' ? 'dark' : 'default',
    // SVG <text> labels, not HTML inside <foreignObject>: the SVG profile below keeps them.
    htmlLabels: false,
    flowchart: { htmlLabels: false },
    // A broken diagram throws; it never leaves mermaid's "syntax error" bomb in the page.
    suppressErrorRendering: true,
    fontFamily: 'system-ui, sans-serif',
  });
}

/** Renders one diagram; rejects with mermaid's own message when the source is not valid. */
export async function renderDiagram(source: string, theme: 'light' | 'dark'): Promise<string> {
  configure(theme);
  // HTML tags in labels lose their attributes before mermaid sees them: its strict level would
  // strip an onerror= anyway, but merely parsing one makes Chromium report a CSP violation.
  const plain = source.replace(/<(\/?[A-Za-z][\w-]*)\s[^<>]*>/g, '<$1>');
  const { svg } = await mermaid.render(`sb-mermaid-${++counter}`, plain);
  // Whatever mermaid produced goes through DOMPurify's SVG profile: no script, no handler, no
  // foreign HTML, no external reference.
  return DOMPurify.sanitize(svg, { USE_PROFILES: { svg: true, svgFilters: true }, FORBID_TAGS: ['foreignObject', 'image', 'a'] });
}
