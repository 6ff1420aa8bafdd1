// Building the page's elements. Text goes in as text nodes only, never as HTML: task commands,
// names and outputs are user data, and nothing here can turn them into markup or script.

export type Child = Node | string | number | null | undefined | false | Child[];
/** An event handler; one that returns a promise is awaited, and a rejection it lets through is
 * reported in the console rather than lost (the views catch what they expect: notice.ts). */
type Listener = (event: Event) => void | Promise<void>;
export type Attrs = Record<string, string | number | boolean | Listener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), settled(value));
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** `listener` as the DOM takes it: returns nothing, and a rejected promise is logged. */
export function settled(listener: Listener): (event: Event) => void {
  return (event) => {
    const done = listener(event);
    if (done instanceof Promise)
      done.catch((err: unknown) => {
        console.error(err);
      });
  };
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A table: its column headings, then `body` (the rows' tbody). */
export function table(
  columns: readonly string[],
  body: HTMLElement,
  attrs: Attrs | null = null,
): HTMLElement {
  return h(
    'table',
    attrs,
    h('thead', null, h('tr', null, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
    body,
  );
}

/** A page's heading, with its controls beside it (Refresh, Add task, a task's actions). */
export function titleBar(title: string, ...controls: Child[]): HTMLElement {
  return h('div', { class: 'title' }, h('h1', null, title), ...controls);
}

/** The button that reads a list again. */
export const refreshButton = (load: () => Promise<void>): HTMLElement =>
  h('button', { type: 'button', onclick: () => void load() }, 'Refresh');

/** A table body's rows: one per item, or one across its `columns` saying there are `none`. */
export function rowsOr<T>(
  items: readonly T[],
  row: (item: T) => HTMLElement,
  none: string,
  columns: number,
): HTMLElement[] {
  return items.length === 0 ? [h('tr', null, h('td', { colspan: columns }, none))] : items.map(row);
}

/** Replaces what `parent` holds. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** An SVG element (the chart), attributes as given. */
export function svg(
  tag: string,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

let ids = 0;
/** A fresh element id, to tie a label to its field. */
export const newId = (prefix: string): string => `${prefix}-${++ids}`;

/** A labelled form field: the label, then the control (and a hint, read with it). */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  control.id ||= newId('f');
  const hintEl = hint ? h('small', { id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/**
 * Runs `redraw` (which may replace the focused element) and puts focus back on the element that
 * stands for it now: the same control (data-act, or an output's summary) of the same row
 * (data-kid, data-fire). Focus is never left on the page's body after an action or a refresh.
 */
export function keepingFocus(redraw: () => void): void {
  const el = document.activeElement;
  const key = el instanceof HTMLElement ? focusKeyOf(el) : null;
  redraw();
  if (!key || (document.activeElement && document.activeElement !== document.body)) return;
  const scope = key.row === null ? document : document.querySelector(key.row);
  scope?.querySelector<HTMLElement>(key.control)?.focus({ preventScroll: true });
}

function focusKeyOf(el: HTMLElement): { row: string | null; control: string } | null {
  const control =
    el.dataset.act !== undefined
      ? `[data-act="${CSS.escape(el.dataset.act)}"]`
      : el.tagName === 'SUMMARY'
        ? 'summary'
        : null;
  if (control === null) return null;
  const row = el.closest<HTMLElement>('[data-kid],[data-fire]');
  if (!row) return { row: null, control };
  const attr = row.dataset.fire !== undefined ? 'data-fire' : 'data-kid';
  return { row: `[${attr}="${CSS.escape(row.getAttribute(attr) ?? '')}"]`, control };
}
