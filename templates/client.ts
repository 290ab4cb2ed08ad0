/**
 * The client of a system: the SystemDescriptor the runtime runs on (addresses, bindings,
 * groups, precompiled validators) and a typed client: `publish<Op>` / `publish<Op>Batch`
 * for every send operation, `on<Op>` for every receive operation. `client.ts` by default;
 * `client.js` + `client.d.ts` with `--emit js`, printed from the same code (see Form).
 */
import type { ChannelPlan, MessagePlan, OperationPlan, TemplateContext } from '../src/codegen/context.js';
import type { GeneratedFile, ImportSymbol, Printable } from '../src/codegen/printer.js';

/**
 * Which file of the client is printed. The JavaScript forms are printed directly rather
 * than by stripping types from the TypeScript: without a TypeScript parser (TypeScript 7
 * has no JS API, Node 20 no type stripping) a stripper would be a regex over code, which
 * breaks on the first type it does not expect. Here the few typed spots (descriptor
 * annotations, `as const`, the interface, the factory's signature and casts) are explicit.
 */
type Form = 'ts' | 'js' | 'dts';

/** client.ts */
export function clientTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  printClient(f, ctx, 'ts');
}

/** client.js (with `--emit js`) */
export function clientJsTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  printClient(f, ctx, 'js');
}

/** client.d.ts (with `--emit js`) */
export function clientDtsTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  printClient(f, ctx, 'dts');
}

function printClient(f: GeneratedFile, ctx: TemplateContext, form: Form): void {
  const { system, names } = ctx;
  const rt = (name: string, type = true) => f.import(name, ctx.runtimeImport, { type });
  const t = (name: string) => f.import(name, './types.js', { type: true });
  const v = (name: string) => f.import(name, './validators.js');
  /** `: <runtime type>`, in the typed forms only (imported only when printed: no `import type` in a .js file). */
  const typed: Typed = (type) => (form === 'js' ? [] : [': ', rt(type)]);
  // client.d.ts carries the types; JavaScript projects that check their .js files (checkJs)
  // would otherwise see the untyped parameters of the factory's arrow functions.
  if (form === 'js') f.pragma('@ts-nocheck');
  // The names client.ts itself declares (EnvelopeInput and the event map live in types.ts).
  f.declare(
    names.descriptor,
    names.operations,
    names.clientInterface,
    names.clientFactory,
    ...ctx.messages.map((m) => m.descriptorConst),
    ...ctx.channels.map((c) => c.descriptorConst),
    ...ctx.operations.map((o) => o.descriptorConst),
  );

  // The descriptors of messages, channels and operations are module-private values.
  if (form !== 'dts') {
    for (const m of ctx.messages) messageDescriptor(f, m, v, typed);
    for (const c of ctx.channels) channelDescriptor(f, c, ctx, typed);
    for (const o of ctx.operations) operationDescriptor(f, o, typed);
  }

  // The system.
  f.jsdoc(joinDoc(`${system.title} ${system.version}: the descriptor the runtime runs on.`, system.description));
  if (form === 'dts') f.print(`export declare const ${names.descriptor}: `, rt('SystemDescriptor'), ';');
  else {
    f.print(`export const ${names.descriptor}`, ...typed('SystemDescriptor'), ' = {');
    f.print(`  id: ${f.string(system.id)},`);
    f.print(`  title: ${f.string(system.title)},`);
    f.print(`  version: ${f.string(system.version)},`);
    if (system.envelope) {
      const e = system.envelope;
      const fields = (['id', 'type', 'time', 'correlationId', 'causationId', 'sequence', 'data'] as const)
        .filter((k) => e[k] !== undefined)
        .map((k) => `${k}: ${f.string(e[k]!)}`);
      f.print(`  envelope: { ${fields.join(', ')} },`);
    }
    printList(
      f,
      '  channels',
      ctx.channels.map((c) => c.descriptorConst),
    );
    printList(
      f,
      '  operations',
      ctx.operations.map((o) => o.descriptorConst),
    );
    f.print('};');
  }
  f.print();

  f.jsdoc(`Operation descriptors of ${system.title} by operation id: for \`ctx.publish(...)\` in handlers and for tools.`);
  if (form === 'dts') {
    // The type `as const` gives the object in client.ts.
    if (ctx.operations.length === 0) f.print(`export declare const ${names.operations}: {};`);
    else {
      f.print(`export declare const ${names.operations}: {`);
      for (const o of ctx.operations) f.print(`  readonly ${f.key(o.model.id)}: `, rt('OperationDescriptor'), ';');
      f.print('};');
    }
  } else {
    f.print(`export const ${names.operations} = {`);
    for (const o of ctx.operations) f.print(`  ${f.key(o.model.id)}: ${o.descriptorConst},`);
    f.print(form === 'ts' ? '} as const;' : '};');
  }
  f.print();

  // The typed client.
  if (form !== 'js') {
    f.jsdoc(`Typed client of ${system.title}: one method per operation of the contract.`);
    f.print(`export interface ${names.clientInterface} {`);
    f.jsdoc('The runtime client underneath (untyped publish/subscribe by operation descriptor).', { indent: '  ' });
    f.print('  readonly client: ', rt('EventClient'), ';');
    for (const o of ctx.operations) {
      const sig = signature(f, ctx, o, rt, t);
      f.jsdoc(operationDoc(ctx, o), { indent: '  ', deprecated: o.model.deprecated || (o.messages.length > 0 && o.messages.every((m) => m.model.deprecated)) });
      f.print(`  ${o.method}(`, ...sig.params, '): ', sig.returns, ';');
      if (o.batchMethod && sig.batchParams) {
        f.jsdoc(`Publishes several events of operation ${o.model.id} in one batch (same options for all).`, { indent: '  ', deprecated: o.model.deprecated });
        f.print(`  ${o.batchMethod}(`, ...sig.batchParams, '): Promise<', rt('EventReceipt'), '[]>;');
      }
      if (o.requestMethod && sig.requestParams && sig.replyType) {
        f.jsdoc(requestDoc(o), { indent: '  ', deprecated: o.model.deprecated });
        f.print(`  ${o.requestMethod}(`, ...sig.requestParams, '): Promise<', ...sig.replyType, '>;');
      }
    }
    f.jsdoc('Graceful: stops subscriptions, then closes the transport.', { indent: '  ' });
    f.print('  close(): Promise<void>;');
    f.print('}');
    f.print();
  }

  const example = ctx.operations.find((o) => o.model.action === 'send');
  f.jsdoc(`Creates a typed client of ${system.title} over \`createClient\` (default transport: in memory).`, {
    tags: example ? [`example\nconst events = ${names.clientFactory}({ transport });\nawait events.${example.method}(payload);`] : [],
  });
  if (form === 'dts') {
    f.print(`export declare function ${names.clientFactory}(options?: `, rt('ClientOptions'), `): ${names.clientInterface};`);
    return;
  }
  if (form === 'ts') f.print(`export function ${names.clientFactory}(options?: `, rt('ClientOptions'), `): ${names.clientInterface} {`);
  else f.print(`export function ${names.clientFactory}(options) {`);
  f.print(`  const client = `, rt('createClient', false), `(${names.descriptor}, options);`);
  f.print('  return {');
  f.print('    client,');
  for (const o of ctx.operations) {
    // The typed options (parameters, headers) are narrower than the runtime's records. Header
    // types are interfaces, which have no index signature: under exactOptionalPropertyTypes
    // TypeScript finds them not comparable with Record<string, string> (without it, their
    // `undefined` overlaps), so that conversion goes through `unknown`; the method's
    // signature has already typed what the caller passes.
    const castSym: Printable[] =
      form === 'ts' && needsCast(o)
        ? [
            headerTypes(o) ? ' as unknown as ' : ' as ',
            rt(o.model.action === 'send' ? 'PublishOptions' : 'SubscribeHandlerOptions'),
            optionsRequired(o) ? '' : ' | undefined',
          ]
        : [];
    if (o.model.action === 'send') {
      f.print(`    ${o.method}: (payload, options) => client.publish(${o.descriptorConst}, payload, options`, ...castSym, '),');
      if (o.batchMethod) f.print(`    ${o.batchMethod}: (payloads, options) => client.publishBatch(${o.descriptorConst}, payloads, options`, ...castSym, '),');
      if (o.requestMethod) {
        // The runtime resolves with the reply's payload, validated against the reply messages.
        const requestCast: Printable[] = castSym.length > 0 ? [castSym[0]!, rt('RequestOptions'), ...castSym.slice(2)] : [];
        const result: Printable[] = form === 'ts' ? [' as Promise<', ...replyTypes(o, t, 'payloadType'), '>'] : [];
        f.print(`    ${o.requestMethod}: (payload, options) => client.request(${o.descriptorConst}, payload, options`, ...requestCast, ')', ...result, ',');
      }
    } else {
      f.print(`    ${o.method}: (handler, options) => client.subscribe(${o.descriptorConst}, handler, options`, ...castSym, '),');
    }
  }
  f.print('    close: () => client.close(),');
  f.print('  };');
  f.print('}');
}

type Rt = (name: string, type?: boolean) => ImportSymbol;
type Typed = (runtimeType: string) => Printable[];

function messageDescriptor(f: GeneratedFile, m: MessagePlan, v: (name: string) => ImportSymbol, typed: Typed): void {
  const model = m.model;
  // Internal consts get one line; the full descriptions are on the exported types and methods.
  f.jsdoc(`Message ${model.id}${model.summary ? `: ${model.summary}` : ''}`, { deprecated: model.deprecated });
  f.print(`const ${m.descriptorConst}`, ...typed('MessageDescriptor'), ' = {');
  f.print(`  id: ${f.string(model.id)},`);
  f.print(`  name: ${f.string(model.name)},`);
  if (model.eventType !== undefined) f.print(`  eventType: ${f.string(model.eventType)},`);
  f.print(`  contentType: ${f.string(model.contentType)},`);
  f.print('  validate: ', v(m.validate), ',');
  f.print('  validateAll: ', v(m.validateAll), ',');
  if (m.validateHeaders) f.print('  validateHeaders: ', v(m.validateHeaders), ',');
  if (m.keyPointer !== undefined) f.print(`  keyPointer: ${f.string(m.keyPointer)},`);
  if (m.correlationIdPointer !== undefined) f.print(`  correlationIdPointer: ${f.string(m.correlationIdPointer)},`);
  if (m.correlationIdHeader !== undefined) f.print(`  correlationIdHeader: ${f.string(m.correlationIdHeader)},`);
  f.print('};');
  f.print();
}

/** Kafka topic configuration as the string map Kafka's admin API takes (lists comma-joined, keys sorted). */
export function kafkaConfig(config: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!config) return undefined;
  const out: Record<string, string> = {};
  for (const key of Object.keys(config).sort()) {
    const value = config[key];
    if (value === null || value === undefined) continue;
    out[key] = Array.isArray(value) ? value.map(String).join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function channelDescriptor(f: GeneratedFile, c: ChannelPlan, ctx: TemplateContext, typed: Typed): void {
  const model = c.model;
  const address = model.address ?? model.id;
  f.jsdoc(`Channel ${model.id}: \`${address}\``);
  f.print(`const ${c.descriptorConst}`, ...typed('ChannelDescriptor'), ' = {');
  f.print(`  id: ${f.string(model.id)},`);
  f.print(`  address: ${f.string(address)},`);
  f.print(`  parameters: [${model.parameters.map((p) => f.string(p.name)).join(', ')}],`);
  printList(
    f,
    '  messages',
    model.messageIds.map((id) => ctx.message(id).descriptorConst),
  );
  f.print(`  deadLetter: ${f.string(model.deadLetter ?? `${address}.dlq`)},`);
  if (model.kafka) {
    const k = model.kafka;
    const config = kafkaConfig(k.topicConfiguration);
    const fields = [
      ...(k.partitions !== undefined ? [`partitions: ${f.literal(k.partitions)}`] : []),
      ...(k.replicas !== undefined ? [`replicas: ${f.literal(k.replicas)}`] : []),
      ...(config ? [`config: ${f.literal(config)}`] : []),
    ];
    if (fields.length > 0) f.print(`  kafka: { ${fields.join(', ')} },`);
  }
  if (model.redis) {
    const r = model.redis;
    const fields = [
      ...(r.maxlen !== undefined ? [`maxlen: ${f.literal(r.maxlen)}`] : []),
      ...(r.approximate !== undefined ? [`approximate: ${f.literal(r.approximate)}`] : []),
      ...(r.minIdMs !== undefined ? [`minIdMs: ${f.literal(r.minIdMs)}`] : []),
    ];
    if (fields.length > 0) f.print(`  redis: { ${fields.join(', ')} },`);
  }
  f.print('};');
  f.print();
}

function operationDescriptor(f: GeneratedFile, o: OperationPlan, typed: Typed): void {
  const model = o.model;
  f.jsdoc(`Operation ${model.id} (${model.action})`, { deprecated: model.deprecated });
  f.print(`const ${o.descriptorConst}`, ...typed('OperationDescriptor'), ' = {');
  f.print(`  id: ${f.string(model.id)},`);
  f.print(`  action: ${f.string(model.action)},`);
  f.print(`  channel: ${o.channel.descriptorConst},`);
  printList(
    f,
    '  messages',
    o.messages.map((m) => m.descriptorConst),
  );
  if (model.group !== undefined) f.print(`  group: ${f.string(model.group)},`);
  if (model.groupEnv !== undefined) f.print(`  groupEnv: ${f.string(model.groupEnv)},`);
  if (model.service !== undefined) f.print(`  service: ${f.string(model.service)},`);
  if (model.claimIdleMs !== undefined) f.print(`  claimIdleMs: ${model.claimIdleMs},`);
  if (model.sessionTimeoutMs !== undefined) f.print(`  sessionTimeoutMs: ${model.sessionTimeoutMs},`);
  if (model.heartbeatIntervalMs !== undefined) f.print(`  heartbeatIntervalMs: ${model.heartbeatIntervalMs},`);
  if (o.reply) {
    const r = o.reply;
    const fields = [
      ...(r.channel ? [`channel: ${r.channel.descriptorConst}`] : []),
      `messages: [${r.messages.map((m) => m.descriptorConst).join(', ')}]`,
      ...(r.addressHeader !== undefined ? [`addressHeader: ${f.string(r.addressHeader)}`] : []),
      ...(r.addressPointer !== undefined ? [`addressPointer: ${f.string(r.addressPointer)}`] : []),
    ];
    f.print(`  reply: { ${fields.join(', ')} },`);
  }
  f.print('};');
  f.print();
}

function printList(f: GeneratedFile, label: string, items: string[]): void {
  if (items.length === 0) f.print(`${label}: [],`);
  else if (items.length <= 3 && items.join(', ').length < 80) f.print(`${label}: [${items.join(', ')}],`);
  else {
    f.print(`${label}: [`);
    for (const i of items) f.print(`${label.replace(/\S.*$/, '')}  ${i},`);
    f.print(`${label.replace(/\S.*$/, '')}],`);
  }
}

function joinDoc(...parts: Array<string | undefined>): string | undefined {
  const seen: string[] = [];
  for (const p of parts) {
    const text = p?.trim();
    if (!text) continue;
    // A summary that is the start of the description says nothing new.
    if (seen.some((s) => s.startsWith(text) || text.startsWith(s))) {
      const longer = seen.findIndex((s) => text.startsWith(s));
      if (longer >= 0) seen[longer] = text;
      continue;
    }
    seen.push(text);
  }
  return seen.length > 0 ? seen.join('\n\n') : undefined;
}

function headerTypes(o: OperationPlan): string[] | undefined {
  if (!o.messages.some((m) => m.headersType)) return undefined;
  return [...new Set(o.messages.map((m) => m.headersType ?? ''))];
}

function needsCast(o: OperationPlan): boolean {
  return o.channel.parametersType !== undefined || headerTypes(o) !== undefined;
}

function optionsRequired(o: OperationPlan): boolean {
  return o.channel.parametersType !== undefined;
}

function operationDoc(ctx: TemplateContext, o: OperationPlan): string {
  const model = o.model;
  const channel = o.channel.model;
  const address = channel.address ?? channel.id;
  const messages = o.messages.map((m) => m.model.id).join(', ');
  const lines: string[] = [];
  const about = joinDoc(model.summary ?? model.title, model.description);
  if (about) lines.push(about, '');
  if (model.action === 'send') {
    lines.push(`Publishes ${messages ? `${messages} ` : ''}to \`${address}\` (operation ${model.id}${model.service ? `, service ${model.service}` : ''}).`);
    if (!messages) lines.push('The operation lists no messages (`messages: []`): there is nothing it may send, so the payload is typed `never`.');
    else lines.push('Envelope fields the payload leaves out are filled; the payload is validated before anything is sent.');
  } else {
    lines.push(`Subscribes to ${messages ? `${messages} on ` : ''}\`${address}\` (operation ${model.id}${model.service ? `, service ${model.service}` : ''}).`);
    if (!messages) lines.push('The operation lists no messages (`messages: []`): events are typed `unknown`.');
    if (model.group !== undefined)
      lines.push(`Consumer group \`${model.group}\` by default${model.groupEnv ? ` (environment variable ${model.groupEnv} overrides it)` : ''}.`);
  }
  if (o.reply?.addressHeader !== undefined) lines.push(`Replies go to the address the request names in header \`${o.reply.addressHeader}\`.`);
  else if (o.reply?.addressPointer !== undefined) lines.push(`Replies go to the address the request names at \`${o.reply.addressPointer}\`.`);
  else if (model.replyChannelId) {
    const reply = ctx.channels.find((c) => c.model.id === model.replyChannelId);
    lines.push(`Replies arrive on \`${reply?.model.address ?? model.replyChannelId}\`.`);
  }
  return lines.join('\n');
}

/** Key types that are TypeScript primitives, not types.ts declarations (see primitiveKey). */
const PRIMITIVES: ReadonlySet<string> = new Set(['string', 'number', 'boolean']);

interface Signature {
  params: Printable[];
  batchParams?: Printable[];
  /** `request…` of a send operation with a reply. */
  requestParams?: Printable[];
  /** The reply payload types (union), for `request…`'s result. */
  replyType?: Printable[];
  returns: Printable;
}

/** The union of the reply messages' payload (what a requester receives) or input (what a replier passes) types. */
function replyTypes(o: OperationPlan, t: (name: string) => ImportSymbol, which: 'payloadType' | 'inputType'): Printable[] {
  const names = [...new Set((o.reply?.messages ?? []).map((m) => m[which]))];
  if (names.length === 0) return ['unknown'];
  return names.flatMap((n, i) => (i === 0 ? [t(n)] : [' | ', t(n)]));
}

function requestDoc(o: OperationPlan): string {
  const r = o.reply!;
  const where =
    r.addressHeader !== undefined
      ? ` to the address this request names in header \`${r.addressHeader}\``
      : r.addressPointer !== undefined
        ? ` to the address this request names at \`${r.addressPointer}\``
        : r.channel
          ? ` on \`${r.channel.model.address ?? r.channel.model.id}\``
          : '';
  const replies = r.messages.map((m) => m.model.id).join(', ') || 'none declared';
  return [
    `Request/reply: publishes a request of operation ${o.model.id} and resolves with the reply (${replies}) that comes back${where}, matched by correlation id.`,
    'Rejects with TimeoutError after `options.timeoutMs` (default 30 s), with ValidationError when the reply breaks its schema.',
  ].join('\n');
}

function signature(_f: GeneratedFile, ctx: TemplateContext, o: OperationPlan, rt: Rt, t: (name: string) => ImportSymbol): Signature {
  const c = o.channel;
  const typeList = (names: string[]): Printable[] => {
    const unique = [...new Set(names)];
    return unique.flatMap((n, i) => (i === 0 ? [t(n)] : [' | ', t(n)]));
  };
  const headers = headerTypes(o);
  const headerType: Printable[] | undefined = headers
    ? headers.flatMap((h, i) => [...(i === 0 ? [] : [' | ']), h === '' ? 'Record<string, string>' : t(h)])
    : undefined;
  if (o.model.action === 'send') {
    // An operation that lists no messages (`messages: []`, AsyncAPI 3) sends none.
    const input = o.messages.length > 0 ? typeList(o.messages.map((m) => m.inputType)) : ['never'];
    // The key, typed by the messages' Kafka key schemas (a message without one takes any string).
    const keyType: Printable[] | undefined = o.messages.some((m) => m.keyType)
      ? [...new Set(o.messages.map((m) => m.keyType ?? 'string'))].flatMap((k, i) => [...(i === 0 ? [] : [' | ']), PRIMITIVES.has(k) ? k : t(k)])
      : undefined;
    const omit = [...(c.parametersType ? ['"parameters"'] : []), ...(headerType ? ['"headers"'] : []), ...(keyType ? ['"key"'] : [])];
    const optionsOf = (base: string, headerType: Printable[] | undefined): Printable[] =>
      omit.length === 0
        ? ['options?: ', rt(base)]
        : [
            c.parametersType ? 'options: ' : 'options?: ',
            'Omit<',
            rt(base),
            `, ${omit.join(' | ')}> & { `,
            ...(c.parametersType ? ['parameters: ', t(c.parametersType), '; '] : []),
            ...(headerType ? ['headers?: ', ...headerType, '; '] : []),
            ...(keyType ? ['key?: ', ...keyType, '; '] : []),
            '}',
          ];
    const options = optionsOf('PublishOptions', headerType);
    const inputs: Printable[] = input.length === 1 ? [...input, '[]'] : ['Array<', ...input, '>'];
    // request…'s options: RequestOptions (timeout, reply address, signal), and the headers
    // request() fills (the reply address, the correlation id) are optional.
    // (Built only for such operations: printing a symbol imports it.)
    const requestOptions = (): Printable[] => {
      const filled = [...new Set([o.reply?.addressHeader, ...o.messages.map((m) => m.correlationIdHeader)].filter((h): h is string => h !== undefined))];
      const requestHeaderType: Printable[] | undefined =
        headers && filled.length > 0
          ? headers.flatMap((h, i) => [
              ...(i === 0 ? [] : [' | ']),
              ...(h === '' ? ['Record<string, string>'] : [t(ctx.names.envelopeInput), '<', t(h), `, ${filled.map((n) => JSON.stringify(n)).join(' | ')}>`]),
            ])
          : headerType;
      return optionsOf('RequestOptions', requestHeaderType);
    };
    return {
      params: ['payload: ', ...input, ', ', ...options],
      batchParams: ['payloads: ', ...inputs, ', ', ...options],
      ...(o.requestMethod ? { requestParams: ['payload: ', ...input, ', ', ...requestOptions()], replyType: replyTypes(o, t, 'payloadType') } : {}),
      returns: ['Promise<', rt('EventReceipt'), '>'],
    };
  }
  const event: Printable[] =
    c.unionType &&
    sameSet(
      o.messages.map((m) => m.model.id),
      c.model.messageIds,
    )
      ? [t(c.unionType)]
      : typeList(o.messages.map((m) => m.payloadType));
  if (o.messages.length === 0) event.push('unknown');
  // A handler of a request gets `ctx.reply`, typed by the reply messages.
  const context: Printable[] = o.reply ? [rt('ReplyContext'), '<', ...replyTypes(o, t, 'inputType'), '>'] : [rt('EventContext')];
  const handler: Printable[] = ['handler: (event: ', ...event, ', ctx: ', ...context, ') => Promise<void> | void'];
  const options: Printable[] = c.parametersType
    ? ['options: Omit<', rt('SubscribeHandlerOptions'), ', "parameters" | "addresses"> & ({ parameters: ', t(c.parametersType), ' } | { addresses: string[] })']
    : ['options?: ', rt('SubscribeHandlerOptions')];
  return { params: [...handler, ', ', ...options], returns: ['Promise<', rt('EventSubscription'), '>'] };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
