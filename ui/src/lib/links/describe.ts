/** What the person needs to know about a link that reached the app. */
export interface LinkSummary {
  /** "dev.consentdesk" */
  scheme: string;
  /** The path after the scheme, e.g. "/finish/7f3c". */
  path: string;
  /** Query parameter names, in order; values stay out of the summary. */
  parameters: string[];
}

/** Splits a received URL for display; an unparsable one is shown raw. */
export function describeLink(url: string): LinkSummary | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const path = `${parsed.host}${parsed.pathname}` || '/';
  return {
    scheme: parsed.protocol.replace(/:$/, ''),
    path,
    parameters: [...new Set(parsed.searchParams.keys())],
  };
}
