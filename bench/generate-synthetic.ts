/**
 * A synthetic contract for `bench/generate.ts`: `channels` Kafka channels, each with one
 * message whose payload is an envelope plus `properties` data fields of mixed types, one
 * send and one receive operation per channel. Deterministic for a given size.
 */
export function syntheticContract(channels: number, properties: number): string {
  const lines: string[] = [
    'asyncapi: 3.0.0',
    'info:',
    '  title: Synthetic benchmark system',
    '  version: 1.0.0',
    'x-evc-envelope:',
    '  id: /event_id',
    '  type: /event_type',
    '  time: /timestamp',
    'defaultContentType: application/json',
    'channels:',
  ];
  const kinds = ['string', 'integer', 'number', 'boolean', 'enum', 'array', 'date-time', 'uuid', 'object', 'nullable'];
  for (let c = 0; c < channels; c++) {
    lines.push(`  topic${c}:`, `    address: bench.topic.${c}`, '    messages:', `      event${c}:`, `        $ref: '#/components/messages/Event${c}'`);
    lines.push(
      '    bindings:',
      '      kafka:',
      '        partitions: 3',
      '        replicas: 1',
      '        topicConfiguration:',
      '          retention.ms: 604800000',
    );
  }
  lines.push('operations:');
  for (let c = 0; c < channels; c++) {
    lines.push(`  sendEvent${c}:`, '    action: send', '    channel:', `      $ref: '#/channels/topic${c}'`);
    lines.push(
      `  workerReceiveEvent${c}:`,
      '    action: receive',
      '    channel:',
      `      $ref: '#/channels/topic${c}'`,
      '    bindings:',
      '      kafka:',
      '        groupId:',
      '          type: string',
      '          const: bench-workers',
    );
  }
  lines.push('components:', '  messages:');
  for (let c = 0; c < channels; c++) {
    lines.push(
      `    Event${c}:`,
      `      name: Event${c}`,
      `      summary: Synthetic event ${c}.`,
      '      payload:',
      `        title: Event${c}Payload`,
      '        type: object',
      '        additionalProperties: false',
    );
    lines.push('        required: [event_id, event_type, timestamp, data]', '        properties:');
    lines.push(
      '          event_id: { type: string, format: uuid }',
      `          event_type: { type: string, const: bench.event.${c} }`,
      '          timestamp: { type: string, format: date-time }',
    );
    lines.push(
      '          data:',
      `            title: Event${c}Data`,
      '            type: object',
      '            additionalProperties: false',
      '            properties:',
    );
    const required: string[] = [];
    for (let p = 0; p < properties; p++) {
      const name = `field_${p}`;
      if (p % 2 === 0) required.push(name);
      const kind = kinds[(c + p) % kinds.length];
      const schema =
        kind === 'enum'
          ? '{ type: string, enum: [a, b, c] }'
          : kind === 'array'
            ? '{ type: array, items: { type: string, minLength: 1 } }'
            : kind === 'date-time'
              ? '{ type: string, format: date-time }'
              : kind === 'uuid'
                ? '{ type: string, format: uuid }'
                : kind === 'object'
                  ? '{ type: object, additionalProperties: false, properties: { x: { type: integer, minimum: 0 } }, required: [x] }'
                  : kind === 'nullable'
                    ? '{ type: [string, "null"], maxLength: 64 }'
                    : `{ type: ${kind}, description: Field ${p} of event ${c}. }`;
      lines.push(`              ${name}: ${schema}`);
    }
    lines.push(`            required: [${required.join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}
