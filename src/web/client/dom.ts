/**
 * The little of the browser's DOM the dashboard uses, typed here: the project type-checks against Node's types
 * only (adding the DOM lib changes `fetch`'s types for every server module), so the client reaches the browser's
 * globals through these interfaces. `h` and `s` build HTML and SVG elements.
 */

export interface EventLike {
  preventDefault(): void;
  readonly target: unknown;
  readonly key?: string;
}

export interface FileLike {
  readonly name: string;
  readonly size: number;
  text(): Promise<string>;
}

export interface El {
  textContent: string | null;
  className: string;
  id: string;
  value: string;
  checked: boolean;
  disabled: boolean;
  hidden: boolean;
  readonly files?: ArrayLike<FileLike> | null;
  readonly children: ArrayLike<El>;
  readonly dataset: Record<string, string | undefined>;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  removeAttribute(name: string): void;
  append(...nodes: (El | string)[]): void;
  replaceChildren(...nodes: (El | string)[]): void;
  remove(): void;
  focus(): void;
  querySelector(selector: string): El | null;
  addEventListener(type: string, listener: (e: EventLike) => void): void;
}

interface Doc {
  createElement(tag: string): El;
  createElementNS(ns: string, tag: string): El;
  getElementById(id: string): El | null;
  readonly body: El;
  title: string;
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface Win {
  document: Doc;
  localStorage: StorageLike;
  location: { hash: string; origin: string };
  addEventListener(type: string, listener: () => void): void;
  setInterval(fn: () => void, ms: number): number;
  clearInterval(id: number): void;
}

const win = globalThis as unknown as Win;
export const doc = (): Doc => win.document;
export const storage = (): StorageLike => win.localStorage;
export const location = (): Win['location'] => win.location;
export const onWindow = (type: string, listener: () => void): void => win.addEventListener(type, listener);
export const every = (ms: number, fn: () => void): (() => void) => {
  const id = win.setInterval(fn, ms);
  return () => win.clearInterval(id);
};

export type Child = El | string | number | null | undefined | false | readonly Child[];
export type Attrs = Record<string, string | number | boolean | null | undefined | ((e: EventLike) => void)>;

function fill(el: El, attrs: Attrs | null, children: readonly Child[]): El {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    // `class` by attribute: an SVG element's className is read-only (an SVGAnimatedString).
    else if (name === 'value') el.value = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  const add = (c: Child): void => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) (c as readonly Child[]).forEach(add);
    else el.append(typeof c === 'number' ? String(c) : (c as El | string));
  };
  children.forEach(add);
  return el;
}

/** An HTML element: `h('a', { href: '#/tasks', class: 'nav' }, 'Tasks')`; `on…` attributes become listeners. */
export function h(tag: string, attrs: Attrs | null = null, ...children: Child[]): El {
  return fill(doc().createElement(tag), attrs, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element (charts are drawn by hand, no chart library). */
export function s(tag: string, attrs: Attrs | null = null, ...children: Child[]): El {
  return fill(doc().createElementNS(SVG_NS, tag), attrs, children);
}
