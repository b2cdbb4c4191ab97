import { describe, expect, it } from 'vitest';
import { escapeHtml, figureHtml, inlineScript, inlineSvg, jsonScript, pageHtml, sectionHtml, tableHtml } from '../../src/report/html.js';
import { escapeXml } from '../../src/report/plot/svg.js';

/**
 * The escaping helpers every report section goes through, on their own (the
 * whole report with hostile names, in Node and in Chromium: hostile.test.ts).
 */
const IMG = `<img src=x onerror="document.title='pwned'">`;
const CLOSE = `</script><script>document.title='pwned2';window.pwned=1</script><!--`;

describe('escaping of data strings (unit)', () => {
  it('table cells, headers, section titles and captions are escaped', () => {
    const t = tableHtml([IMG], [[IMG, 1]]);
    expect(t).not.toContain('<img');
    expect(t).toContain('&lt;img src=x onerror=&quot;document.title=&#39;pwned&#39;&quot;&gt;');
    const s = sectionHtml('x', IMG, '', CLOSE);
    expect(s).not.toContain('<img');
    expect(s).not.toContain('</script>');
    expect(figureHtml('<svg></svg>', IMG)).not.toContain('<img');
  });

  it('the JSON payload cannot end its script element, open a comment or hold a raw line separator', () => {
    const value = { names: [CLOSE, IMG, 'a\u2028b\u2029c', '<!-- x -->'] };
    const html = jsonScript('xl-data', value);
    const inner = html.slice(html.indexOf('>') + 1, html.lastIndexOf('</script>'));
    expect(inner.toLowerCase()).not.toContain('</script');
    expect(inner).not.toContain('<!--');
    expect(inner).not.toMatch(/[\u2028\u2029<>]/);
    expect(JSON.parse(inner)).toEqual(value);
  });
});


describe('the markup of each building block, exactly', () => {
  it('escapeHtml (escapeXml) writes each of the five special characters as its entity, everything else as it is', () => {
    expect(escapeHtml).toBe(escapeXml);
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&#39;f');
    expect(escapeXml('&amp;')).toBe('&amp;amp;');
    expect(escapeXml("''")).toBe('&#39;&#39;');
    expect(escapeXml('plain text, 1.5 Å')).toBe('plain text, 1.5 Å');
  });

  it('tableHtml: header cells, body rows and the optional class', () => {
    expect(tableHtml(['a<', 'b'], [['1', 2], ['x&', 3]])).toBe(
      '<table><thead><tr><th>a&lt;</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr><tr><td>x&amp;</td><td>3</td></tr></tbody></table>',
    );
    expect(tableHtml(['h'], [], 'wide')).toBe('<table class="wide"><thead><tr><th>h</th></tr></thead><tbody></tbody></table>');
  });

  it('sectionHtml: id, escaped heading, optional escaped intro, body as it is', () => {
    expect(sectionHtml('a"b', 'T<', '<p>x</p>')).toBe('<section id="a&quot;b"><h2>T&lt;</h2><p>x</p></section>');
    expect(sectionHtml('s', 'T', '', 'I>')).toBe('<section id="s"><h2>T</h2><p class="intro">I&gt;</p></section>');
  });

  it('figureHtml and inlineSvg: the XML prolog (and the space after it) dropped, caption and PNG link each optional', () => {
    const svg = '<?xml version="1.0" encoding="UTF-8"?>\n  <svg></svg>';
    expect(inlineSvg(svg)).toBe('<svg></svg>');
    expect(inlineSvg('<svg><?xml x?></svg>')).toBe('<svg><?xml x?></svg>');
    expect(inlineSvg('<?xml version="1.0"?><svg/>')).toBe('<svg/>');
    expect(figureHtml(svg)).toBe('<figure><svg></svg></figure>');
    expect(figureHtml(svg, 'c&')).toBe('<figure><svg></svg><figcaption>c&amp;</figcaption></figure>');
    expect(figureHtml(svg, undefined, 'p"1.png')).toBe('<figure><svg></svg><figcaption> <a class="png" href="p&quot;1.png">PNG</a></figcaption></figure>');
    expect(figureHtml(svg, 'c', 'p.png')).toBe('<figure><svg></svg><figcaption>c <a class="png" href="p.png">PNG</a></figcaption></figure>');
  });

  it('jsonScript writes <, >, & and the line separators as \\u escapes inside a JSON script element', () => {
    expect(jsonScript('d"', { a: '<>&\u2028\u2029' })).toBe('<script id="d&quot;" type="application/json">{"a":"\\u003c\\u003e\\u0026\\u2028\\u2029"}</script>');
  });

  it('inlineScript breaks up every </script (any case) in the source', () => {
    expect(inlineScript('a="</script>";b="</SCRIPT>"')).toBe('<script>a="<\\/script>";b="<\\/SCRIPT>"</script>');
  });

  it('pageHtml: escaped title (twice), meta line, navigation links, body and tail in order', () => {
    const page = pageHtml('T<', 'm&', [['a"', 'A<'], ['b', 'B']], '<section>s</section>', '<script>t</script>');
    expect(page.startsWith('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>T&lt;</title><style>')).toBe(true);
    expect(page).toContain('</style></head><body><header><h1>T&lt;</h1><div class="meta">m&amp;</div><nav><a href="#a&quot;">A&lt;</a><a href="#b">B</a></nav></header>');
    expect(page.endsWith('<main><section>s</section></main><script>t</script></body></html>\n')).toBe(true);
  });
});
