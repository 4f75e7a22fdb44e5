import { render } from 'svelte/server';
import App from '../../App.svelte';
import type { AppState } from '../shell/app.svelte';

/**
 * Test helpers: the app rendered to HTML (no DOM in vitest's node
 * environment; effects and onMount do not run) and a way to read elements by
 * their `data-testid`.
 */
export function renderApp(app: AppState): string {
  return render(App, { props: { app } }).body;
}

export interface Found {
  /** The opening tag, attributes included. */
  tag: string;
  /** The text inside, tags removed, whitespace collapsed. */
  text: string;
}

const VOID = new Set(['input', 'img', 'br', 'hr', 'meta', 'link']);

function decode(text: string) {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function elementAt(html: string, at: number): Found {
  const start = html.lastIndexOf('<', at);
  const name = /^<([a-z0-9-]+)/i.exec(html.slice(start))?.[1] ?? '';
  const openEnd = html.indexOf('>', at);
  const tag = html.slice(start, openEnd + 1);
  if (VOID.has(name.toLowerCase())) return { tag, text: '' };
  const pattern = new RegExp(`<(/?)${name}\\b[^>]*>`, 'gi');
  pattern.lastIndex = openEnd + 1;
  let depth = 1;
  let end = html.length;
  for (let match = pattern.exec(html); match; match = pattern.exec(html)) {
    depth += match[1] ? -1 : 1;
    if (depth === 0) {
      end = match.index;
      break;
    }
  }
  const inner = html.slice(openEnd + 1, end);
  const text = decode(inner.replace(/<!--[\s\S]*?-->/g, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
  return { tag, text };
}

/** Every element with this `data-testid`, in document order. */
export function allByTestId(html: string, testid: string): Found[] {
  const marker = `data-testid="${testid}"`;
  const found: Found[] = [];
  for (let at = html.indexOf(marker); at >= 0; at = html.indexOf(marker, at + marker.length)) {
    found.push(elementAt(html, at));
  }
  return found;
}

/** The first element with this `data-testid`, or `null`. */
export function byTestId(html: string, testid: string): Found | null {
  return allByTestId(html, testid)[0] ?? null;
}

/** The value of an attribute in an opening tag, or `null`. */
export function attribute(found: Found | null, name: string): string | null {
  if (!found) return null;
  const match = new RegExp(`\\s${name}(?:="([^"]*)")?[\\s/>]`).exec(found.tag);
  return match ? decode(match[1] ?? '') : null;
}
