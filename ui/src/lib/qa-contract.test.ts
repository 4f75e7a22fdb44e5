// The QA guide (docs/qa.md) lists every `data-testid` QA scripts drive. This
// keeps the list true both ways: an id it lists that the UI lost fails, and an
// id the UI has that the guide does not list fails, so scripts never break
// silently and new controls get documented.
import { describe, expect, it } from 'vitest';
import qaGuide from '../../../docs/qa.md?raw';
import consentPage from '../../../src-tauri/crates/sandbox/src/consent_page.rs?raw';

const svelteSources = import.meta.glob<string>('../**/*.svelte', { query: '?raw', import: 'default', eager: true });

/**
 * The ids documented between `<!-- testids: NAME -->` and `<!-- /testids -->`:
 * the first code span of each table row (`| \`pay-to\` | … |`).
 */
function documentedIds(markdown: string, region: string): string[] {
  const ids: string[] = [];
  const pattern = new RegExp(`<!-- testids: ${region} -->([\\s\\S]*?)<!-- /testids -->`, 'g');
  for (const [, body] of markdown.matchAll(pattern)) {
    for (const [, id] of (body ?? '').matchAll(/^\|\s*`([^`]+)`/gm)) ids.push(id ?? '');
  }
  return ids;
}

/** A `data-testid={`prefix-${…}suffix`}` in a component: only the fixed parts are known. */
interface DynamicId {
  prefix: string;
  suffix: string;
  file: string;
}

interface SourceIds {
  literal: Map<string, string>;
  dynamic: DynamicId[];
  /** `data-testid` written some other way, which this check cannot follow. */
  unreadable: string[];
}

/** Every `data-testid` in the Svelte components, by kind. */
function sourceIds(sources: Record<string, string>): SourceIds {
  const found: SourceIds = { literal: new Map(), dynamic: [], unreadable: [] };
  for (const [file, text] of Object.entries(sources)) {
    for (const [attribute] of text.matchAll(/data-testid=(?:"[^"]*"|\{`[^`]*`\}|\{[^}]*\}|[^\s>]+)/g)) {
      const literal = /^data-testid="([^"{}]+)"$/.exec(attribute);
      const dynamic = /^data-testid=\{`([^`$]*)\$\{[^}]*\}([^`$]*)`\}$/.exec(attribute);
      if (literal?.[1]) found.literal.set(literal[1], file);
      else if (dynamic) found.dynamic.push({ prefix: dynamic[1] ?? '', suffix: dynamic[2] ?? '', file });
      else found.unreadable.push(`${file}: ${attribute}`);
    }
  }
  return found;
}

const isPattern = (id: string) => /\{[^}]+\}/.test(id);
const patternOf = (dynamic: DynamicId) => new RegExp(`^${dynamic.prefix}\\{[a-z-]+\\}${dynamic.suffix}$`);

/** What is wrong between the guide's list and the components; empty when they agree. */
function contractProblems(documented: string[], sources: Record<string, string>): string[] {
  const problems: string[] = [];
  const ui = sourceIds(sources);
  problems.push(...ui.unreadable.map((where) => `write the data-testid as "id" or {\`prefix-\${…}\`}: ${where}`));

  const seen = new Set<string>();
  for (const id of documented) {
    if (seen.has(id)) problems.push(`docs/qa.md lists ${id} twice`);
    seen.add(id);
    if (isPattern(id)) {
      if (!ui.dynamic.some((dynamic) => patternOf(dynamic).test(id)))
        problems.push(`docs/qa.md lists the pattern ${id}, but no component builds such an id`);
    } else if (!ui.literal.has(id)) {
      // A concrete value of a pattern (nav-pay from nav-{screen}): the rest must
      // be a string in the component that builds it.
      const derived = ui.dynamic.some(
        ({ prefix, suffix, file }) =>
          id.startsWith(prefix) &&
          id.endsWith(suffix) &&
          new RegExp(`['"]${id.slice(prefix.length, id.length - suffix.length)}['"]`).test(sources[file] ?? ''),
      );
      if (!derived) problems.push(`docs/qa.md lists ${id}, but no component has it any more`);
    }
  }
  for (const [id, file] of ui.literal) {
    if (!seen.has(id)) problems.push(`${file} has data-testid="${id}", which docs/qa.md does not list`);
  }
  for (const dynamic of ui.dynamic) {
    if (![...seen].some((id) => isPattern(id) && patternOf(dynamic).test(id)))
      problems.push(`${dynamic.file} builds ids ${dynamic.prefix}{…}${dynamic.suffix}, a pattern docs/qa.md does not list`);
  }
  return problems;
}

/** The same check for the sandbox wallet's consent page, written in Rust. */
function sandboxProblems(documented: string[], rust: string): string[] {
  const inPage = new Set([...rust.matchAll(/data-testid=\\"([a-z0-9-]+)\\"/g)].map(([, id]) => id ?? ''));
  return [
    ...documented.filter((id) => !inPage.has(id)).map((id) => `docs/qa.md lists ${id}, but the consent page has no such id`),
    ...[...inPage].filter((id) => !documented.includes(id)).map((id) => `the consent page has ${id}, which docs/qa.md does not list`),
  ];
}

describe('the QA guide’s test ids', () => {
  it('reads the components and the guide', () => {
    expect(Object.keys(svelteSources).length).toBeGreaterThan(10);
    expect(documentedIds(qaGuide, 'app').length).toBeGreaterThan(100);
    expect(documentedIds(qaGuide, 'sandbox').length).toBeGreaterThan(5);
  });

  it('lists exactly the ids the app’s screens have', () => {
    expect(contractProblems(documentedIds(qaGuide, 'app'), svelteSources)).toEqual([]);
  });

  it('lists exactly the ids the sandbox wallet’s consent page has', () => {
    expect(sandboxProblems(documentedIds(qaGuide, 'sandbox'), consentPage)).toEqual([]);
  });
});

describe('the check itself', () => {
  const guide = [
    '<!-- testids: app -->',
    '| id | what |',
    '|---|---|',
    '| `pay-to` | The receiver. |',
    '| `nav-{screen}` | One per screen. |',
    '| `nav-pay` | Pay. |',
    '<!-- /testids -->',
  ].join('\n');
  const component = {
    'Pay.svelte': '<input data-testid="pay-to" />',
    'Shell.svelte': "const nav = [{ screen: 'pay' }];\n<button data-testid={`nav-${item.screen}`}></button>",
  };

  it('passes when guide and components agree', () => {
    expect(contractProblems(documentedIds(guide, 'app'), component)).toEqual([]);
  });

  it('fails when a listed id disappears from the UI', () => {
    const without = { ...component, 'Pay.svelte': '<input data-testid="pay-receiver" />' };
    expect(contractProblems(documentedIds(guide, 'app'), without)).toEqual([
      'docs/qa.md lists pay-to, but no component has it any more',
      'Pay.svelte has data-testid="pay-receiver", which docs/qa.md does not list',
    ]);
  });

  it('fails when a value of a pattern is gone', () => {
    const renamed = { ...component, 'Shell.svelte': component['Shell.svelte'].replace("'pay'", "'payments'") };
    expect(contractProblems(documentedIds(guide, 'app'), renamed)).toEqual([
      'docs/qa.md lists nav-pay, but no component has it any more',
    ]);
  });

  it('fails on an id it cannot read', () => {
    const opaque = { ...component, 'Pay.svelte': '<input data-testid="pay-to" /><p data-testid={name}></p>' };
    expect(contractProblems(documentedIds(guide, 'app'), opaque)).toEqual([
      'write the data-testid as "id" or {`prefix-${…}`}: Pay.svelte: data-testid={name}',
    ]);
  });

  it('checks the consent page both ways', () => {
    const rust = 'r#"<p data-testid=\\"consent-amount\\">"#, "<button data-testid=\\"consent-approve\\">"';
    expect(sandboxProblems(['consent-amount', 'consent-reject'], rust)).toEqual([
      'docs/qa.md lists consent-reject, but the consent page has no such id',
      'the consent page has consent-approve, which docs/qa.md does not list',
    ]);
  });
});
