// Builds DOM nodes from parts, never from HTML strings: untrusted text only lands in text nodes.
// The one place that turns untrusted Markdown into markup is markdown.js.

/**
 * h('button', {class: 'x', onclick: fn, 'aria-label': '…'}, 'texto', otherNode)
 * Attributes named on* become event listeners; `text` sets textContent; `dataset`
 * is an object; boolean true sets an empty attribute, false/null/undefined skip it.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'text') {
      el.textContent = String(value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else if (name === 'value' && 'value' in el) {
      el.value = String(value);
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** A form field with its label (and an optional hint tied by aria-describedby). */
let fieldCounter = 0;
export function field(labelText, control, hint) {
  fieldCounter += 1;
  const id = control.id || `campo-${fieldCounter}`;
  control.id = id;
  const wrapper = h('div', { class: 'field' }, h('label', { for: id, text: labelText }), control);
  if (hint) {
    const hintId = `${id}-ayuda`;
    control.setAttribute('aria-describedby', hintId);
    wrapper.append(h('p', { class: 'hint', id: hintId, text: hint }));
  }
  return wrapper;
}

/** Polite announcement for screen readers (the #status live region). */
export function announce(message) {
  const region = document.getElementById('status');
  if (!region) return;
  // Clearing first makes a repeated identical message be read again.
  region.textContent = '';
  window.setTimeout(() => {
    region.textContent = message;
  }, 30);
}

let toastTimer = 0;
/** A visible, assertive message (errors and important outcomes). */
export function toast(message, { kind = 'info', timeoutMs = 6000 } = {}) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.className = `toast toast-${kind}`;
  el.hidden = false;
  window.clearTimeout(toastTimer);
  if (timeoutMs > 0) {
    toastTimer = window.setTimeout(() => {
      el.hidden = true;
    }, timeoutMs);
  }
}

/** Moves focus to a heading or region without adding it to the tab order. */
export function focusElement(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus({ preventScroll: false });
}

/** True when a key press belongs to a text field (shortcuts must not steal it). */
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  // Radio buttons and checkboxes take no text, so shortcuts stay live on them.
  const textual = 'input:not([type=radio]):not([type=checkbox]):not([type=button]):not([type=submit])';
  return Boolean(target.closest(`${textual}, textarea, select, [contenteditable="true"]`));
}
