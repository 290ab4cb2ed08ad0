/**
 * Wire values as the brokers' clients take them (kafkajs and ioredis want Buffers). Kept
 * apart from bytes.ts: the core's public declarations must not name Buffer (no
 * @types/node needed to type-check a memory-only service); only the transports use this.
 */

/** The value as a string or a Buffer over the same memory. */
export function bufferOf(value: Uint8Array | string): Buffer | string {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
