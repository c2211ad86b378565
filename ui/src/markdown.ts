// Model output as markdown: marked parses, highlight.js colours code (core plus a few languages,
// to keep the bundle light), DOMPurify removes anything executable before it reaches the DOM.
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked } from 'marked';
import { drawDiagrams } from './diagrams.js';

const languages = { bash, css, diff, javascript, json, python, typescript, xml, yaml } as const;
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);
hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['js', 'mjs'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Raw HTML in model output is shown as text, not parsed: a reply that mentions <div> reads
    // right, and markup never reaches a parser (even an inert one makes Chromium compile the
    // handlers it carries, against the CSP). DOMPurify below still guards what marked emits.
    html({ text }) {
      return escapeHtml(text);
    },
    // Images would fetch from wherever the model says: shown as a link to click instead.
    image({ href, text }) {
      return `<a href="${escapeHtml(href)}">[image: ${escapeHtml(text || href)}]</a>`;
    },
    code({ text, lang, raw }) {
      const name = (lang ?? '').trim().split(/\s+/)[0]!.toLowerCase();
      if (name === 'mermaid') {
        // Drawn (diagrams.ts) only once its closing fence has streamed in; until then, its source.
        const closed = /\n {0,3}(`{3,}|~{3,})[ \t]*$/.test(raw.trimEnd());
        return `<div class="diagram" data-closed="${closed}"><pre class="code"><span class="code-lang">mermaid</span><code>${escapeHtml(text)}</code></pre></div>\n`;
      }
      const known = name && hljs.getLanguage(name) ? name : '';
      const body = known ? hljs.highlight(text, { language: known, ignoreIllegals: true }).value : escapeHtml(text);
      const label = name ? `<span class="code-lang">${escapeHtml(name)}</span>` : '';
      return `<pre class="code">${label}<code class="hljs${known ? ` language-${known}` : ''}">${body}</code></pre>\n`;
    },
  },
});

// Links from model output open outside the page and tell the target nothing.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** Markdown to sanitized HTML (no scripts, no event handlers, no forms, no styles, no images). */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false });
  return DOMPurify.sanitize(html, { FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'button', 'img'], FORBID_ATTR: ['style'] });
}

/**
 * Re-renders an element from its growing markdown source at most once per frame: each chunk of a
 * stream does not cost a parse, and an unclosed code fence is still shown as code meanwhile.
 */
export class MarkdownView {
  source = '';
  private scheduled = false;
  /** `around` wraps each change of the DOM (the chat keeps its scroller pinned to the bottom through it). */
  constructor(readonly el: HTMLElement, private readonly around: (update: () => void) => void = (u) => u()) {}

  append(text: string): void {
    this.source += text;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    this.around(() => {
      this.el.innerHTML = renderMarkdown(this.source);
      drawDiagrams(this.el, this.around);
    });
  }
}
