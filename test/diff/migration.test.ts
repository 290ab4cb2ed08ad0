/**
 * `evc diff` between an AsyncAPI 2.x contract and its 3.0 rewrite: channels, operations and
 * messages get other ids (AsyncAPI's converter, or a team renaming while at it), nothing
 * changes on the wire, so there is no wire finding either way and every rename is a source
 * finding (src/diff/match.ts). A real change (an address) is still breaking.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffVersions, loadVersion, type Finding } from '../../src/diff/index.js';
import { contractDir } from '../helpers/contract-dir.js';
import { brief, diffDocs, makeDoc, type Doc } from './helpers.js';

const fixtures = resolve(import.meta.dirname, '../fixtures');
const shop = { v2: join(fixtures, 'asyncapi2/v2/shop.yaml'), v3: join(fixtures, 'asyncapi2/v3/shop.yaml') };
const users = {
  v2: join(fixtures, 'diff/migration/v2/users.yaml'),
  v3: join(fixtures, 'diff/migration/v3/users.yaml'),
  converted: join(fixtures, 'diff/migration/converted/users.yaml'),
};

async function diffFiles(a: string, b: string) {
  const old = await loadVersion(a, { specValidation: false });
  const cur = await loadVersion(b, { specValidation: false });
  return diffVersions([old, cur], 'FULL').findings;
}

const wire = (fs: Finding[]) => brief(fs.filter((f) => f.category === 'wire'));
const source = (fs: Finding[]) => fs.filter((f) => f.category === 'source').map((f) => [f.rule, f.subject, f.message]);

describe('evc diff: a 2.x contract against its 3.0 rewrite', () => {
  it('shop (x-channelId, operationId and messageId kept by the rewrite): no finding at all, both ways', async () => {
    expect(await diffFiles(shop.v2, shop.v3)).toEqual([]);
    expect(await diffFiles(shop.v3, shop.v2)).toEqual([]);
  });

  it('users, rewritten with new ids (userSignedup, userDeleted, onUserSignedUp, publish.message): no wire finding, each rename a source finding', async () => {
    const derived = 'generated names derived from the message id change (validators, schema files, factories), nothing a reader checks';
    const forward = await diffFiles(users.v2, users.v3);
    expect(wire(forward)).toEqual([]);
    expect(source(forward)).toEqual([
      [
        'sdk-channel-renamed',
        'channel user/{userId}/deleted',
        'channel "user/{userId}/deleted" is now "userDeleted" (same address "user/{userId}/deleted"): the generated parameters type UserUserIdDeletedParameters -> UserDeletedParameters renamed; nothing on the wire changes',
      ],
      [
        'sdk-message-renamed',
        'message receiveUserUserIdDeletedMessage',
        `message "receiveUserUserIdDeletedMessage" is now "userDeleted.publish.message" (same payload on channel userDeleted): ${derived}`,
      ],
      [
        'sdk-type-renamed',
        'message userDeleted.publish.message',
        'message "userDeleted.publish.message" payload type ReceiveUserUserIdDeletedMessagePayload -> UserDeletedPublishMessagePayload: generated code importing ReceiveUserUserIdDeletedMessagePayload must change',
      ],
      [
        'sdk-message-renamed',
        'message LoggedIn',
        `message "LoggedIn" is now "auditSessions.subscribe.message.0" (same name on channel auditSessions): ${derived}`,
      ],
      [
        'sdk-type-renamed',
        'message auditSessions.subscribe.message.0',
        'message "auditSessions.subscribe.message.0" payload type LoggedInPayload -> AuditSessionsSubscribeMessage0Payload: generated code importing LoggedInPayload must change',
      ],
      [
        'sdk-message-renamed',
        'message LoggedOut',
        `message "LoggedOut" is now "auditSessions.subscribe.message.1" (same name on channel auditSessions): ${derived}`,
      ],
      [
        'sdk-type-renamed',
        'message auditSessions.subscribe.message.1',
        'message "auditSessions.subscribe.message.1" payload type LoggedOutPayload -> AuditSessionsSubscribeMessage1Payload: generated code importing LoggedOutPayload must change',
      ],
      [
        'sdk-method-renamed',
        'operation receiveUserSignedup',
        'operation "receiveUserSignedup" is now "onUserSignedUp" (same receive on userSignedup): the generated method is renamed',
      ],
      [
        'sdk-method-renamed',
        'operation sendUserSignedup',
        'operation "sendUserSignedup" is now "sendUserSignedUp" (same send on userSignedup): the generated method is renamed',
      ],
      [
        'sdk-method-renamed',
        'operation receiveUserUserIdDeleted',
        'operation "receiveUserUserIdDeleted" is now "onUserDeleted" (same receive on userDeleted): the generated method is renamed',
      ],
    ]);
    // The user/signedup channel is renamed too (userSignedup), but both ids give the type name UserSignedup: nothing to report.
    expect(forward.some((f) => f.subject === 'channel user/signedup')).toBe(false);
    const back = await diffFiles(users.v3, users.v2);
    expect(wire(back)).toEqual([]);
    // In the order of the new side's file (here the 2.x one).
    expect(back.map((f) => [f.rule, f.subject])).toEqual([
      ['sdk-method-renamed', 'operation sendUserSignedUp'],
      ['sdk-method-renamed', 'operation onUserSignedUp'],
      ['sdk-channel-renamed', 'channel userDeleted'],
      ['sdk-method-renamed', 'operation onUserDeleted'],
      ['sdk-message-renamed', 'message userDeleted.publish.message'],
      ['sdk-type-renamed', 'message receiveUserUserIdDeletedMessage'],
      ['sdk-message-renamed', 'message auditSessions.subscribe.message.0'],
      ['sdk-type-renamed', 'message LoggedIn'],
      ['sdk-message-renamed', 'message auditSessions.subscribe.message.1'],
      ['sdk-type-renamed', 'message LoggedOut'],
    ]);
  });

  it("users against @asyncapi/converter's own output (ids user/signedup.publish, publish.message): no wire finding, both ways", async () => {
    for (const [a, b] of [
      [users.v2, users.converted],
      [users.converted, users.v2],
    ] as const) {
      const findings = await diffFiles(a, b);
      expect(wire(findings)).toEqual([]);
      expect(findings.map((f) => f.rule).sort()).toEqual([
        ...Array(3).fill('sdk-message-renamed'),
        ...Array(4).fill('sdk-method-renamed'),
        ...Array(3).fill('sdk-type-renamed'),
      ]);
    }
  });

  it('an address changed in one channel of the rewrite is still breaking, both ways', async () => {
    const text = readFileSync(users.v3, 'utf8');
    expect(text).toContain('    address: user/signedup\n');
    const moved = join(contractDir({ 'users.yaml': text.replace('    address: user/signedup\n', '    address: user/registered\n') }), 'users.yaml');
    const removed = (what: string) => [`${what.split(' ')[0]}-removed`, what, 'breaking', 'breaking'];
    const forward = await diffFiles(users.v2, moved);
    expect(wire(forward).filter((w) => w[2] !== 'safe')).toEqual(
      ['channel user/signedup', 'operation sendUserSignedup', 'operation receiveUserSignedup'].map(removed),
    );
    expect(
      wire(forward)
        .filter((w) => w[2] === 'safe')
        .map((w) => w[1]),
    ).toEqual(['channel userSignedup', 'operation onUserSignedUp', 'operation sendUserSignedUp']);
    const back = await diffFiles(moved, users.v2);
    expect(wire(back).filter((w) => w[2] !== 'safe')).toEqual(['operation onUserSignedUp', 'operation sendUserSignedUp', 'channel userSignedup'].map(removed));
    // The other channels still match by address: only the moved one is reported on the wire.
    expect(back.filter((f) => f.category === 'wire').every((f) => /ignedup|ignedUp/i.test(f.subject))).toBe(true);
  });
});

describe('evc diff: matching beyond ids (one 3.x contract edited)', () => {
  const renameChannel = (d: Doc, from: string, to: string) => {
    d.channels[to] = d.channels[from];
    delete d.channels[from];
    for (const op of Object.values(d.operations) as Doc[]) op.channel = { $ref: `#/channels/${to}` };
  };

  it('a channel renamed at the same address, with a message union: its channel-level changes are still compared', async () => {
    const doc = () => {
      const d = makeDoc({ type: 'object', properties: { id: { type: 'string' } } });
      d.channels.c.messages.N = { $ref: '#/components/messages/N' };
      d.components.messages.N = { payload: { type: 'object', properties: { n: { type: 'integer' } } } };
      return d;
    };
    const cur = doc();
    renameChannel(cur, 'c', 'orders');
    cur.channels.orders.bindings = { kafka: { partitions: 3 } };
    const old = doc();
    old.channels.c.bindings = { kafka: { partitions: 6 } };
    const r = await diffDocs(old, cur);
    expect(brief(r.findings)).toEqual([
      ['sdk-channel-renamed', 'channel c', 'breaking', 'breaking'],
      ['kafka-partitions-decreased', 'channel orders', 'breaking', 'breaking'],
    ]);
    expect(r.findings.map((f) => f.category)).toEqual(['source', 'wire']);
  });

  it('a message renamed with the same name whose payload changed: matched by name, the payload change is a wire finding', async () => {
    const old = makeDoc({ type: 'object', properties: { id: { type: 'string' } } }, { message: { name: 'Created' } });
    const cur = makeDoc({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }, { message: { name: 'Created' } });
    cur.components.messages.Created = cur.components.messages.M;
    delete cur.components.messages.M;
    cur.channels.c.messages = { Created: { $ref: '#/components/messages/Created' } };
    const r = await diffDocs(old, cur);
    expect(brief(r.findings)).toEqual([
      ['sdk-message-renamed', 'message M', 'breaking', 'breaking'],
      ['sdk-type-renamed', 'message Created', 'breaking', 'breaking'],
      ['required-added', '/id', 'breaking', 'safe'],
    ]);
  });

  it('a message with another name and another payload on the channel is removed and added, not matched', async () => {
    const old = makeDoc({ type: 'object', properties: { id: { type: 'string' } } });
    const cur = makeDoc({ type: 'object', properties: { id: { type: 'integer' } } });
    cur.components.messages.Other = cur.components.messages.M;
    delete cur.components.messages.M;
    cur.channels.c.messages = { Other: { $ref: '#/components/messages/Other' } };
    const r = await diffDocs(old, cur);
    expect(brief(r.findings)).toEqual([
      ['channel-message-removed', 'channel c', 'breaking', 'safe'],
      ['channel-message-added', 'channel c', 'safe', 'breaking'],
    ]);
  });

  it('two renamed consumers of one channel are matched by their consumer groups', async () => {
    const group = (g: string) => ({ kafka: { groupId: { type: 'string', const: g } } });
    const ops = (list: [string, string][]) =>
      Object.fromEntries(list.map(([id, g]) => [id, { action: 'receive', channel: { $ref: '#/channels/c' }, bindings: group(g) }]));
    const payload = { type: 'object', properties: { id: { type: 'string' } } };
    // The new side lists the shipping consumer first: document order alone would cross them.
    const r = await diffDocs(
      makeDoc(payload, {
        operations: ops([
          ['billM', 'billing'],
          ['shipM', 'shipping'],
        ]),
      }),
      makeDoc(payload, {
        operations: ops([
          ['onShipping', 'shipping'],
          ['onBilling', 'billing'],
        ]),
      }),
    );
    expect(r.findings.map((f) => [f.rule, f.message])).toEqual([
      ['sdk-method-renamed', 'operation "shipM" is now "onShipping" (same receive on c): the generated method is renamed'],
      ['sdk-method-renamed', 'operation "billM" is now "onBilling" (same receive on c): the generated method is renamed'],
    ]);
  });
});
