/**
 * Mermaid diagram text. Node and participant ids are generated (`s0`, `c3`, `p1`), never
 * taken from the contract; every piece of contract text goes through `mermaidText`, which
 * leaves nothing Mermaid (or Markdown, or HTML around it) could read as syntax.
 */
import type { FlowDoc } from './flows.js';
import type { FlowEdge, SystemDocs } from './model.js';

const MAX_LABEL = 60;

/**
 * Contract text made inert for a Mermaid label, message or alias: one line, at most
 * `max` characters, and every character with a meaning (`"`, `#`, `;`, `%`, `<`, `>`, `&`,
 * backtick, `|`, backslash) written as a Mermaid entity code (`#35;`), which Mermaid turns
 * back into the character as text.
 *
 * @example
 * mermaidText('a|b <x>') // 'a#124;b #60;x#62;'
 */
export function mermaidText(text: string, max = MAX_LABEL): string {
  let s = text.replace(/[\s\u2028\u2029]+/g, ' ').trim();
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u001f\u007f]/g, '');
  const chars = [...s];
  if (chars.length > max) s = chars.slice(0, max - 1).join('') + '…';
  return s.replace(/[#"`;%<>&|\\]/g, (c) => `#${c.codePointAt(0)};`) || ' ';
}

/** Flow graph of one system: services that send → channels → services that receive. */
export function flowGraph(sys: SystemDocs): string {
  const lines = ['graph LR'];
  const serviceId = new Map(sys.services.map((s, i) => [s, `s${i}`]));
  const channels = sys.channels.filter((c) => c.senders.length > 0 || c.receivers.length > 0);
  const channelId = new Map(channels.map((c, i) => [c.address, `c${i}`]));
  if (serviceId.size === 0 && channelId.size === 0) return 'graph LR\n  empty["No operations in this contract"]';
  for (const [name, id] of serviceId) lines.push(`  ${id}["${mermaidText(name)}"]`);
  for (const [address, id] of channelId) lines.push(`  ${id}(["${mermaidText(address)}"])`);
  for (const s of sys.sends) {
    const c = channelId.get(s.channel);
    if (c) lines.push(`  ${serviceId.get(s.service)} --> ${c}`);
  }
  for (const r of sys.receives) {
    const c = channelId.get(r.channel);
    if (c) lines.push(`  ${c} --> ${serviceId.get(r.service)}`);
  }
  lines.push('  classDef service fill:#e6f0ff,stroke:#3b6fb6,color:#10243e');
  lines.push('  classDef channel fill:#f3ebff,stroke:#7a4fc0,color:#2a1746');
  if (serviceId.size > 0) lines.push(`  class ${[...serviceId.values()].join(',')} service`);
  if (channelId.size > 0) lines.push(`  class ${[...channelId.values()].join(',')} channel`);
  return lines.join('\n');
}

/** One sequence diagram. */
export function sequenceDiagram(flow: FlowDoc): string {
  const lines = ['sequenceDiagram'];
  const ids = new Map<string, string>();
  const id = (name: string) => {
    let v = ids.get(name);
    if (!v) {
      v = `p${ids.size}`;
      ids.set(name, v);
      lines.push(`  participant ${v} as ${mermaidText(name)}`);
    }
    return v;
  };
  const body: string[] = [];
  for (const step of flow.steps) {
    if ('note' in step) body.push(`  Note over ${id(step.over)}: ${mermaidText(step.note, 120)}`);
    else {
      const from = id(step.from);
      const to = id(step.to);
      body.push(`  ${from}->>${to}: ${mermaidText(step.label, 80)}`);
    }
  }
  if (flow.steps.length === 0) body.push(`  Note over ${id('(none)')}: no steps`);
  return [...lines, ...body].join('\n');
}

/** Edges of the system map: sender → receiver per system, the channels between them joined. */
export function mapEdges(edges: FlowEdge[]): { from: string; to: string; channels: string[] }[] {
  const out: { from: string; to: string; channels: string[] }[] = [];
  for (const e of edges) {
    let row = out.find((r) => r.from === e.from && r.to === e.to);
    if (!row) out.push((row = { from: e.from, to: e.to, channels: [] }));
    if (!row.channels.includes(e.channel)) row.channels.push(e.channel);
  }
  return out;
}

const MAX_EDGE_CHANNELS = 3;

/** One graph of all systems, a subgraph per system: which service talks to which, through which channels. */
export function systemMap(systems: SystemDocs[]): string {
  const lines = ['graph LR'];
  const edgeLines: string[] = [];
  systems.forEach((sys, i) => {
    const ids = new Map(sys.services.map((s, j) => [s, `y${i}s${j}`]));
    lines.push(`  subgraph y${i}["${mermaidText(sys.id)}"]`);
    lines.push('    direction LR');
    for (const [name, nid] of ids) lines.push(`    ${nid}["${mermaidText(name)}"]`);
    if (ids.size === 0) lines.push(`    y${i}empty["no operations"]`);
    lines.push('  end');
    for (const e of mapEdges(sys.edges)) {
      const shown = e.channels.slice(0, MAX_EDGE_CHANNELS).join(', ');
      const more = e.channels.length > MAX_EDGE_CHANNELS ? ` +${e.channels.length - MAX_EDGE_CHANNELS} more` : '';
      edgeLines.push(`  ${ids.get(e.from)} -->|"${mermaidText(shown + more, 120)}"| ${ids.get(e.to)}`);
    }
  });
  return [...lines, ...edgeLines].join('\n');
}
