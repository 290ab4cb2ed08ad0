import { loadContracts } from '../../src/contract/index.js';
import type { SystemModel } from '../../src/contract/ir.js';

/** Load contracts without spec validation (fast) and fail on load errors. */
export async function loadSystems(paths: string[]): Promise<SystemModel[]> {
  const { systems, diagnostics } = await loadContracts(paths, { specValidation: false });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => `${e.rule}: ${e.message}`).join('\n'));
  return systems;
}

/** Text that is dangerous everywhere docs print it: table pipes, HTML, backticks, Mermaid arrows and comments, newlines. */
export const HOSTILE =
  'Evil | pipe <script>window.__pwned=1</script> `tick` ``x`` --> arrow %% comment ; semi #quot; "quoted" [x](javascript:alert(1)) <img src=x onerror="window.__pwned=1"> *star* _under_\n\n# Heading\n- item\n</pre></code>';

const indent = (text: string, n: number) => JSON.stringify(text).replace(/^/, ' '.repeat(n));

/** A contract whose every free-text field, service and group name carries HOSTILE. */
export function hostileContract(): string {
  const h = indent(HOSTILE, 0);
  return `asyncapi: 3.0.0
info:
  title: ${h}
  version: 1.0.0
  description: ${h}
defaultContentType: application/json
x-evc-envelope:
  id: /event_id
  type: /event_type
servers:
  local:
    host: 127.0.0.1:9092
    protocol: kafka
    description: ${h}
channels:
  evil:
    address: "evil|<b>x</b>\`.topic-->"
    title: ${h}
    description: ${h}
    messages:
      Evil:
        $ref: '#/components/messages/Evil'
    bindings:
      kafka:
        partitions: 1
        topicConfiguration:
          retention.ms: 86400000
operations:
  sendEvil:
    action: send
    channel:
      $ref: '#/channels/evil'
    x-evc-service: ${indent('svc|<script>window.__pwned=1</script>"];  s0-->s1 %%', 0)}
  receiveEvil:
    action: receive
    channel:
      $ref: '#/channels/evil'
    x-evc-service: ${indent('rcv`<img src=x onerror="window.__pwned=1">`\nend\nsubgraph x', 0)}
    x-evc-group: ${indent('grp|<i>g</i>', 0)}
components:
  messages:
    Evil:
      name: ${indent('Evil<svg onload="window.__pwned=1">|', 0)}
      description: ${h}
      payload:
        type: object
        additionalProperties: false
        required: [event_id, event_type]
        properties:
          event_id:
            type: string
            description: ${h}
          event_type:
            type: string
            const: ${indent('evil</script><script>window.__pwned=1</script>', 0)}
          ${indent('pipe|field<b>', 0)}:
            type: string
            enum: [${indent('a|b', 0)}, ${indent('<i>c</i>', 0)}]
      examples:
        - name: ${indent('ex`|<b>', 0)}
          summary: ${h}
          payload:
            event_id: ${h}
            event_type: ${indent('evil</script><script>window.__pwned=1</script>', 0)}
`;
}
