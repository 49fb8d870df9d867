// The only path from untrusted text (model output, learner contexts) to markup:
// marked renders Markdown to HTML, DOMPurify strips everything executable, and the
// result comes back as a DocumentFragment, never as an HTML string for the page to parse.
import { marked } from '../vendor/marked.esm.js';
import DOMPurify from '../vendor/purify.es.mjs';

const SANITIZE = {
  RETURN_DOM_FRAGMENT: true,
  USE_PROFILES: { html: true },
  // A card needs text, lists, emphasis, tables and links; images, media, forms and
  // inline styles are only ways to track, spoof or break the layout.
  FORBID_TAGS: ['img', 'picture', 'video', 'audio', 'source', 'style', 'form', 'input', 'button',
    'textarea', 'select', 'option', 'iframe', 'object', 'embed', 'svg', 'math', 'dialog'],
  FORBID_ATTR: ['style', 'id', 'name', 'class', 'srcset', 'action', 'formaction'],
};

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('rel', 'noopener noreferrer nofollow');
    node.setAttribute('target', '_blank');
  }
});

marked.use({ gfm: true, breaks: false, async: false });

/**
 * Block Markdown (paragraphs, lists, headings, tables) → sanitised DocumentFragment.
 * Headings are shifted so that a card's "# Title" sits below the page's own headings
 * (`topLevel` 3: # → h3, ## → h4, …), keeping the outline screen readers navigate.
 */
export function renderMarkdown(text, { topLevel = 3 } = {}) {
  const fragment = DOMPurify.sanitize(marked.parse(String(text ?? '')), SANITIZE);
  for (const heading of fragment.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Math.min(6, Number(heading.tagName[1]) + topLevel - 1);
    const replacement = document.createElement(`h${level}`);
    replacement.append(...heading.childNodes);
    heading.replaceWith(replacement);
  }
  return fragment;
}

/** One line of Markdown (emphasis, code, links) without a wrapping paragraph. */
export function renderInline(text) {
  return DOMPurify.sanitize(marked.parseInline(String(text ?? '')), SANITIZE);
}
