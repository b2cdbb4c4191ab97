import { escapeXml } from './plot/svg.js';

/**
 * HTML building blocks of the report: one self-contained page (inline CSS,
 * inline SVG figures, inline scripts), so it opens offline from a file or
 * an e-mail attachment.
 */

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = escapeXml;

/** An SVG document made inline-able: XML prolog dropped. */
export function inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*\?>\s*/, '');
}

/** A figure: inline SVG with a caption, linking the PNG copy when there is one. */
export function figureHtml(svg: string, caption?: string, png?: string): string {
  const link = png ? ` <a class="png" href="${escapeHtml(png)}">PNG</a>` : '';
  return `<figure>${inlineSvg(svg)}${caption || link ? `<figcaption>${caption ? escapeHtml(caption) : ''}${link}</figcaption>` : ''}</figure>`;
}

/** A section with an anchor id, a heading and an optional explanatory paragraph. */
export function sectionHtml(id: string, title: string, body: string, intro?: string): string {
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(title)}</h2>${intro ? `<p class="intro">${escapeHtml(intro)}</p>` : ''}${body}</section>`;
}

/** A table from a header row and body rows of already-formatted cell text. */
export function tableHtml(header: string[], rows: (string | number)[][], cls = ''): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`).join('');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

/**
 * JSON as the text of a script element: `<` (so no `</script>` or `<!--` in
 * a string can end or bend the element), `>`, `&` and the line separators
 * U+2028/U+2029 (line ends to pre-2019 JavaScript) are written as \\u escapes,
 * which JSON.parse turns back into the same characters.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Puts a JSON payload into a non-executed script element (see {@link scriptSafeJson}). */
export function jsonScript(id: string, value: unknown): string {
  return `<script id="${escapeHtml(id)}" type="application/json">${scriptSafeJson(value)}</script>`;
}

/** Inlines JavaScript source; `</script` inside it would end the element early, so it is broken up (`<\/`, same case, same string value). */
export function inlineScript(source: string): string {
  return `<script>${source.replace(/<\/(script)/gi, '<\\/$1')}</script>`;
}

const CSS = `
:root { --ink: #1b1b1b; --muted: #5b5b5b; --line: #dedede; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #f6f7f9; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 18px 28px 10px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: var(--muted); font-size: 13px; }
nav { margin-top: 8px; font-size: 13px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
main { padding: 10px 28px 40px; max-width: 1500px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 18px 16px; margin: 16px 0; }
h2 { font-size: 17px; margin: 10px 0 6px; }
p.intro { color: var(--muted); font-size: 13px; margin: 0 0 10px; max-width: 980px; }
.figs { display: flex; flex-wrap: wrap; gap: 10px; }
figure { margin: 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: var(--muted); padding: 2px 4px; }
figcaption a.png { margin-left: 6px; color: var(--accent); }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 4px 9px; text-align: right; }
th { background: #f1f3f6; }
td:first-child, th:first-child { text-align: left; }
pre { background: #f6f7f9; border: 1px solid var(--line); padding: 10px; font-size: 12px; overflow: auto; max-height: 420px; }
.explorer { display: grid; grid-template-columns: minmax(280px, 360px) 1fr; gap: 18px; align-items: start; }
.xl-slider { display: grid; grid-template-columns: 110px 1fr 52px; align-items: center; gap: 8px; margin: 6px 0; font-size: 13px; }
.xl-slider input { width: 100%; }
.xl-value { font-variant-numeric: tabular-nums; text-align: right; }
#xl-status { font-size: 12px; color: var(--muted); margin: 6px 0; }
.scatterbox { display: grid; grid-template-columns: auto 1fr; gap: 14px; align-items: start; margin-top: 14px; }
.controls { font-size: 13px; margin-bottom: 6px; }
.controls select { margin: 0 10px 0 4px; }
#xl-info { font-size: 12px; line-height: 1.5; margin-top: 4px; }
#xl-crange { font-size: 12px; color: var(--muted); }
button { font: inherit; font-size: 13px; padding: 3px 10px; }
.note { font-size: 12px; color: var(--muted); }
`;

/**
 * The whole page.
 * @param title page title
 * @param meta one line under the title
 * @param nav section ids and labels for the navigation bar
 * @param body section markup
 * @param tail scripts (TF.js, payload, explorer) appended at the end of body
 */
export function pageHtml(title: string, meta: string, nav: [string, string][], body: string, tail = ''): string {
  const links = nav.map(([id, label]) => `<a href="#${escapeHtml(id)}">${escapeHtml(label)}</a>`).join('');
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>` +
    `<header><h1>${escapeHtml(title)}</h1><div class="meta">${escapeHtml(meta)}</div><nav>${links}</nav></header>` +
    `<main>${body}</main>${tail}</body></html>\n`
  );
}
