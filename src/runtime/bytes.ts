/**
 * Wire values are text or bytes. The public types say `Uint8Array` (so a service's type
 * check needs no @types/node for the core); the brokers' clients take Buffers, which are
 * Uint8Arrays; buffers.ts bridges the two for the transports without copying.
 */

/** The value as text (UTF-8 for bytes). */
export function textOf(value: Uint8Array | string): string {
  if (typeof value === 'string') return value;
  return (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)).toString('utf8');
}
