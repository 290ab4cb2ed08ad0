/**
 * types.ts of a system: a type for every payload and header schema (and every named
 * schema inside them, declared once), the publish input types, channel unions, address
 * parameter types and the map of envelope type values to payloads.
 */
import type { MessagePlan, TemplateContext } from '../src/codegen/context.js';
import type { GeneratedFile } from '../src/codegen/printer.js';
import { compareCodeUnits } from '../src/contract/compare.js';

export function typesTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  const { system, types, names } = ctx;
  // A payload without a description of its own is documented by its message.
  const payloadOf = new Map<string, MessagePlan>();
  for (const m of ctx.messages) if (!payloadOf.has(m.payloadType)) payloadOf.set(m.payloadType, m);
  for (const decl of types.declarations) {
    const m = payloadOf.get(decl.name)?.model;
    const fallback = m ? { description: m.description ?? m.summary, deprecated: m.deprecated } : undefined;
    for (const line of types.declaration(decl, fallback)) f.print(line);
    f.print();
  }

  f.jsdoc(
    'A payload as a publisher writes it: the keys `K` (envelope fields the runtime fills when they are missing: id, type, time, correlation, causation, sequence) are optional. Mapped with `as` rather than `Omit`, so open payloads keep their named fields.',
  );
  f.print(`export type ${names.envelopeInput}<T, K extends PropertyKey> = T extends unknown`);
  f.print('  ? { [P in keyof T as P extends K ? never : P]: T[P] } & { [P in keyof T as P extends K ? P : never]?: T[P] }');
  f.print('  : never;');
  f.print();

  for (const m of ctx.messages) {
    const model = m.model;
    const filled = m.inputOptionalKeys.map((k) => f.string(k)).join(' | ');
    f.jsdoc(
      `What \`${m.payloadType}\` publishers pass for message ${model.id}${filled ? `; the runtime fills ${m.inputOptionalKeys.join(', ')} when missing` : ''}.`,
      {
        deprecated: model.deprecated,
      },
    );
    if (filled) f.print(`export type ${m.inputType} = ${names.envelopeInput}<${m.payloadType}, ${filled}>;`);
    else f.print(`export type ${m.inputType} = ${m.payloadType};`);
    f.print();
  }

  for (const c of ctx.channels) {
    const model = c.model;
    if (c.unionType) {
      const members = model.messageIds.map((id) => ctx.message(id).payloadType);
      const discriminated = system.envelope && model.messageIds.every((id) => ctx.message(id).model.eventType !== undefined);
      f.jsdoc(
        `Any message of channel ${model.id}${discriminated ? `, discriminated by the envelope type field (${system.envelope!.type})` : ''}.` +
          (model.description ? `\n\n${model.description}` : ''),
      );
      f.print(`export type ${c.unionType} = ${[...new Set(members)].join(' | ')};`);
      f.print();
    }
    if (c.parametersType) {
      f.jsdoc(`Parameters of the address of channel ${model.id}: ${model.address ?? model.id}`);
      // A type alias (not an interface), so it is assignable to Record<string, string>.
      f.print(`export type ${c.parametersType} = {`);
      for (const p of model.parameters) {
        const tags = p.default !== undefined ? [`default ${f.string(p.default)}`] : [];
        f.jsdoc(p.description, { indent: '  ', tags });
        const type = p.enum && p.enum.length > 0 ? p.enum.map((v) => f.string(v)).join(' | ') : 'string';
        f.print(`  ${propertyKeyOf(f, p.name)}: ${type};`);
      }
      f.print('};');
      f.print();
    }
  }

  const typed = ctx.messages.filter((m) => m.model.eventType !== undefined);
  if (typed.length > 0) {
    f.jsdoc(`Payload type by envelope type value${system.envelope ? ` (${system.envelope.type})` : ''}.`);
    f.print(`export interface ${names.eventMap} {`);
    const byType = new Map<string, string[]>();
    for (const m of typed) byType.set(m.model.eventType!, [...(byType.get(m.model.eventType!) ?? []), m.payloadType]);
    for (const [type, payloads] of [...byType].sort(([a], [b]) => compareCodeUnits(a, b))) {
      f.print(`  ${f.string(type)}: ${[...new Set(payloads)].join(' | ')};`);
    }
    f.print('}');
  }
}

function propertyKeyOf(f: GeneratedFile, name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : f.string(name);
}
