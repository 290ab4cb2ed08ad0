/**
 * Blocks printed as GitHub-flavoured Markdown. All contract text is escaped here: HTML
 * characters become entities, Markdown punctuation gets a backslash, table pipes are
 * escaped, newlines never reach a table row, code spans and fences are longer than any
 * backtick run inside them.
 */
import type { Block, Inline } from './blocks.js';

/**
 * Contract text as inert Markdown inline text on one line: whitespace runs collapse to
 * one space, HTML characters become entities, Markdown punctuation is backslashed. With
 * `lineStart`, what would open a heading, list, quote or rule is escaped too.
 *
 * @example
 * mdText('a|b <script>') // 'a\\|b &lt;script&gt;'
 */
export function mdText(text: string, lineStart = false): string {
  const s = text
    .replace(/[\s\u2028\u2029]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
  if (!lineStart) return s;
  return s.replace(/^( ?)(#{1,6}|[-+=]|\d+(?=[.)]))/, (_m, sp: string, m: string) => (/^\d/.test(m) ? `${sp}${m}\\` : `${sp}\\${m}`));
}

const longestRun = (text: string, ch: string): number => Math.max(0, ...[...text.matchAll(new RegExp(`\\${ch}+`, 'g'))].map((m) => m[0].length));

/** A code span that holds any text literally (on one line; pipes escaped when in a table). */
export function mdCode(text: string, inTable = false): string {
  let s = text.replace(/[\s\u2028\u2029]+/g, ' ');
  if (s.trim() === '') return '';
  if (inTable) s = s.replace(/\|/g, '\\|');
  const fence = '`'.repeat(longestRun(s, '`') + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || (s.startsWith(' ') && s.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Anchor ids are generated (`event-skillcreated`); this keeps them so whatever they are given. */
export const safeId = (id: string): string => id.replace(/[^A-Za-z0-9_-]/g, '');

/** Only links we generate are printed as links; anything else is dropped to its text. */
const safeHref = (href: string): boolean => /^[A-Za-z0-9._-]*(#[A-Za-z0-9_-]+)?$/.test(href);

export function mdInline(content: Inline[], inTable = false): string {
  return content
    .map((i, n) => {
      if (typeof i === 'string') return mdText(i, n === 0 && !inTable);
      if ('code' in i) return mdCode(i.code, inTable);
      if ('strong' in i) return `**${mdText(i.strong.trim())}**`;
      if ('br' in i) return inTable ? '<br>' : '  \n';
      return safeHref(i.href) ? `[${mdText(i.text)}](${i.href})` : mdText(i.text);
    })
    .join('');
}

function fenced(lang: string, text: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `${fence}${lang.replace(/[^a-z0-9-]/gi, '')}\n${text.replace(/\r\n?/g, '\n')}\n${fence}`;
}

export function renderMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level)} ${b.level > 1 ? `<a id="${safeId(b.id)}"></a>` : ''}${mdText(b.text.trim())}`);
        break;
      case 'paragraph':
        out.push(mdInline(b.content));
        break;
      case 'note':
        out.push(`> ${mdInline(b.content)}`);
        break;
      case 'list':
        out.push(b.items.map((item) => `- ${mdInline(item)}`).join('\n'));
        break;
      case 'table': {
        const row = (cells: string[]) => `| ${cells.map((c) => c.trim()).join(' | ')} |`;
        out.push(
          [row(b.head.map((h) => mdText(h))), `|${b.head.map(() => '---').join('|')}|`, ...b.rows.map((r) => row(r.map((c) => mdInline(c, true))))].join('\n'),
        );
        break;
      }
      case 'code':
        if (b.caption) out.push(mdInline(b.caption));
        out.push(fenced(b.lang, b.text));
        break;
      case 'mermaid':
        out.push(fenced('mermaid', b.text));
        if (b.caption) out.push(`*${mdText(b.caption.trim())}*`);
        break;
    }
  }
  return out.join('\n\n') + '\n';
}
