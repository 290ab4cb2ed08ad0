/**
 * The document model both renderers print: a short list of blocks (headings, paragraphs,
 * tables, code, diagrams). Templates build it from the docs model; `markdown.ts` and
 * `html.ts` print the same blocks, so the Markdown and the site never disagree and the
 * Markdown is never parsed back.
 *
 * Text in blocks is raw contract text: escaping is the renderers' job, done in one place
 * per output format.
 */

/** Inline content: plain text, literal code, a link to an anchor on the same page or another page, or a line break. */
export type Inline = string | { code: string } | { text: string; href: string } | { strong: string } | { br: true };

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4; text: string; id: string }
  | { kind: 'paragraph'; content: Inline[] }
  | { kind: 'list'; items: Inline[][] }
  | { kind: 'table'; head: string[]; rows: Inline[][][]; id?: string }
  | { kind: 'code'; lang: string; text: string; caption?: Inline[] }
  | { kind: 'mermaid'; text: string; caption?: string }
  | { kind: 'note'; content: Inline[] };

/**
 * Collects the blocks of one page; what templates write to.
 *
 * @example
 * const f = createDocBuilder();
 * f.heading(1, 'Chat events', 'top');
 * f.paragraph(['Published to ', { code: 'chat.created' }]);
 */
export interface DocBuilder {
  readonly blocks: Block[];
  heading(level: 1 | 2 | 3 | 4, text: string, id: string): void;
  paragraph(content: Inline[] | string): void;
  list(items: (Inline[] | string)[]): void;
  table(head: string[], rows: (Inline[] | string)[][], id?: string): void;
  code(lang: string, text: string, caption?: Inline[]): void;
  mermaid(text: string, caption?: string): void;
  note(content: Inline[] | string): void;
}

const inlines = (c: Inline[] | string): Inline[] => (typeof c === 'string' ? [c] : c);

export function createDocBuilder(): DocBuilder {
  const blocks: Block[] = [];
  return {
    blocks,
    heading: (level, text, id) => void blocks.push({ kind: 'heading', level, text, id }),
    paragraph: (content) => void blocks.push({ kind: 'paragraph', content: inlines(content) }),
    list: (items) => void blocks.push({ kind: 'list', items: items.map(inlines) }),
    table: (head, rows, id) => void blocks.push({ kind: 'table', head, rows: rows.map((r) => r.map(inlines)), ...(id ? { id } : {}) }),
    code: (lang, text, caption) => void blocks.push({ kind: 'code', lang, text, ...(caption ? { caption } : {}) }),
    mermaid: (text, caption) => void blocks.push({ kind: 'mermaid', text, ...(caption ? { caption } : {}) }),
    note: (content) => void blocks.push({ kind: 'note', content: inlines(content) }),
  };
}

/** Plain text of inline content (search index, titles). */
export function inlineText(content: Inline[]): string {
  return content.map((i) => (typeof i === 'string' ? i : 'code' in i ? i.code : 'text' in i ? i.text : 'strong' in i ? i.strong : ' ')).join('');
}
