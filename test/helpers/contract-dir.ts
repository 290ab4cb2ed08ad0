import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Write files into a fresh temp folder (removed after the test file) and return its path. */
export function contractDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'evc-test-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

/** A small valid contract; `parts` replace its sections (YAML text, indented as at the top level). */
export function demoContract(parts: { envelope?: string; channels?: string; operations?: string; components?: string; extra?: string } = {}): string {
  return `asyncapi: 3.0.0
info:
  title: Demo
  version: 1.0.0
  description: A demo system.
defaultContentType: application/json
${
  parts.envelope ??
  `x-evc-envelope:
  id: /event_id
  type: /event_type`
}
servers:
  local:
    host: 127.0.0.1:9092
    protocol: kafka
channels:
${
  parts.channels ??
  `  userCreated:
    address: user.created
    messages:
      UserCreated:
        $ref: '#/components/messages/UserCreated'`
}
operations:
${
  parts.operations ??
  `  publishUserCreated:
    action: send
    channel:
      $ref: '#/channels/userCreated'
    messages:
      - $ref: '#/channels/userCreated/messages/UserCreated'
  receiveUserCreated:
    action: receive
    channel:
      $ref: '#/channels/userCreated'
    bindings:
      kafka:
        groupId:
          type: string
          const: demo-service`
}
components:
${
  parts.components ??
  `  messages:
    UserCreated:
      payload:
        $ref: '#/components/schemas/UserCreatedEvent'
      examples:
        - name: basic
          payload:
            event_id: 3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a11
            event_type: user.created
            user_id: u-1
  schemas:
    UserCreatedEvent:
      type: object
      additionalProperties: false
      required: [event_id, event_type, user_id]
      properties:
        event_id:
          type: string
          format: uuid
        event_type:
          type: string
          const: user.created
        user_id:
          type: string`
}
${parts.extra ?? ''}`;
}
