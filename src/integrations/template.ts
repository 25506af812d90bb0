/**
 * URI and header templates: `${stageVariables.name}` and `{param}` / `{proxy}`, parsed once per bundle and
 * rendered per request by concatenation. Path parameters are substituted exactly as the client sent them
 * (never decoded, never re-encoded), so the path forwarded is the path matched.
 */
export type TemplatePart = string | { stageVariable: string } | { param: string };

const TOKEN = /\$\{stageVariables\.([A-Za-z0-9_]+)\}|\{([^{}$]+)\}/g;

export function compileTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(m[1] !== undefined ? { stageVariable: m[1] } : { param: m[2]! });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** Renders a template; an undefined stage variable renders empty, as on Amazon. */
export function renderTemplate(parts: TemplatePart[], stageVariables: Record<string, string>, params: Record<string, string>): string {
  let out = "";
  for (const part of parts) {
    if (typeof part === "string") out += part;
    else if ("stageVariable" in part) out += stageVariables[part.stageVariable] ?? "";
    else out += params[part.param] ?? "";
  }
  return out;
}
