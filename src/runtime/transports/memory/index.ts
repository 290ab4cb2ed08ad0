export { createMemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
